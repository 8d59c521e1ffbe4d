"""Shared fixtures: small indexes built through the public API on real folders."""

from datetime import datetime
from pathlib import Path

import pytest

from vnsearch import Index

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED_DATA = REPO.parent / "shared" / "data"

ARTICLES = [
    {"id": "dau-khi", "title": "Sản lượng dầu khí năm 2020", "date": "2020-12-30",
     "body": "Tổng công ty dầu khí hoàn thành kế hoạch khai thác dầu thô ngoài khơi."},
    {"id": "hoa-binh", "title": "Hội nghị tại Hoà Bình", "date": "2019-05-01",
     "body": "Tỉnh Hoà Bình tổ chức hội nghị về thuỷ lợi và giao thông."},
    {"id": "ban-hang", "title": "Kỹ năng cho nhân viên", "date": "2021-03-01",
     "body": "Nhân viên bán hàng cần hiểu khách hàng và sản phẩm."},
    {"id": "ban-hang-2", "title": "Tiếp đón đối tác", "date": "2021-01-01",
     "body": "Công ty tiếp đón bạn hàng đến từ Nhật Bản."},
    {"id": "cntt", "title": "Đổi mới tại trung tâm", "date": "2018-06-15",
     "body": "Trung tâm công nghệ thông tin triển khai hệ thống mới cho các phòng ban."},
    {"id": "scattered", "title": "Lịch sinh hoạt cuối năm", "date": "2017-02-02",
     "body": "Công đoàn tổ chức văn nghệ cuối năm. Bản tin sẽ thông báo lịch cụ thể."},
    {"id": "title-match", "title": "Giải bóng đá công nhân", "date": None,
     "body": "Các đội thi đấu sôi nổi trong ba ngày."},
    {"id": "body-match", "title": "Tin thể thao", "date": "2022-08-08",
     "body": "Sau giờ làm, nhiều người chơi bóng đá trên sân của khu công nghiệp."},
]


@pytest.fixture(scope="session")
def articles_index(tmp_path_factory):
    """The articles above, in a real index on disk."""
    index = Index.create(tmp_path_factory.mktemp("articles") / "index")
    report = index.add(ARTICLES)
    assert report.added == len(ARTICLES) and not report.problems
    return index


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory):
    """The project's seed articles, indexed from the seeds folder."""
    index = Index.create(tmp_path_factory.mktemp("seeds") / "index")
    report = index.add_paths([SEEDS])
    assert report.added == 2 and not report.problems
    return index


def ids(results):
    """The ids of a search's hits, in rank order."""
    return [hit.id for hit in results]


def when(text):
    return datetime.fromisoformat(text)
