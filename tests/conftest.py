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


FEATURE_ARTICLES = [
    {"id": "vinamilk", "title": "Vinamilk tăng lợi nhuận", "date": "2021-10-20",
     "body": "Công ty sữa Vinamilk báo lãi quý ba tăng mạnh nhờ xuất khẩu."},
    {"id": "chung-khoan", "title": "Thị trường chứng khoán khởi sắc", "date": "2021-11-02",
     "body": "Cổ phiếu ngân hàng kéo chỉ số chứng khoán tăng điểm."},
    {"id": "chung-khoan-2", "title": "Nhà đầu tư chứng khoán thận trọng", "date": "2020-11-03",
     "body": "Thanh khoản chứng khoán giảm trong phiên chiều, nhà đầu tư chờ tin mới."},
    {"id": "kien", "title": "Đàn kiến trong vườn", "date": "2019-04-04",
     "body": "Chúng khoảng vài nghìn con, sống dưới gốc cây nhãn."},
    {"id": "ubnd", "title": "UBND tỉnh họp bàn kế hoạch", "date": "2021-01-05",
     "body": "Chủ tịch UBND tỉnh yêu cầu các sở ngành báo cáo tiến độ."},
    {"id": "uy-ban", "title": "Quận ra quyết định mới", "date": "2021-02-06",
     "body": "Ủy ban nhân dân quận 1 ban hành quyết định về trật tự đô thị."},
    {"id": "cntt", "title": "Thiếu nhân lực", "date": "2020-03-07",
     "body": "Ngành công nghệ thông tin thiếu nhân lực chất lượng cao."},
    {"id": "cntt-viet-tat", "title": "Việc làm cho sinh viên", "date": "2020-03-08",
     "body": "Sinh viên CNTT ra trường có việc làm ngay."},
    {"id": "tphcm", "title": "Mưa lớn chiều qua", "date": "2021-06-09",
     "body": "Chiều qua TP.HCM mưa lớn gây ngập nhiều tuyến đường."},
    {"id": "hcm", "title": "Đón khách quốc tế", "date": "2019-12-10",
     "body": "Thành phố Hồ Chí Minh đón hơn một triệu lượt khách quốc tế."},
    {"id": "cho", "title": "Con chó nhà bà Tư", "date": "2018-01-11",
     "body": "Con chó trung thành canh giữ nhà suốt mười năm."},
    {"id": "choe", "title": "Chim chòe than hót", "date": "2018-02-12",
     "body": "Chim chòe than hót vang trong vườn buổi sáng."},
    {"id": "cong-nghiep", "title": "Khu công nghiệp mới", "date": "2017-03-13",
     "body": "Khu công nghiệp thu hút đầu tư nước ngoài vào tỉnh."},
    {"id": "dau-tho", "title": "Giá dầu thô giảm", "date": "2022-04-14",
     "body": "Giá dầu thô thế giới giảm mạnh trong tuần qua."},
] + [
    # "chứng khoán" is common here, "chúng khoảng" said once (the ants): what "did you
    # mean" needs to tell them apart.
    {"id": f"phien-{day}", "title": f"Chứng khoán phiên {day} tháng 5", "date": f"2021-05-{day:02}",
     "body": f"Chỉ số chứng khoán phiên ngày {day} biến động, cổ phiếu {name} dẫn dắt."}
    for day, name in [(3, "thép"), (4, "dầu khí"), (5, "bán lẻ"), (6, "ngân hàng"),
                      (7, "bất động sản"), (10, "công nghệ"), (11, "điện")]
]


def _indexed(tmp_path_factory, name, articles):
    index = Index.create(tmp_path_factory.mktemp(name) / "index")
    report = index.add(articles)
    assert report.added == len(articles) and not report.problems
    return index


@pytest.fixture(scope="session")
def features_index(tmp_path_factory):
    """Articles for typo tolerance, "did you mean", synonyms and completion."""
    return _indexed(tmp_path_factory, "features", FEATURE_ARTICLES)


@pytest.fixture(scope="session")
def articles_index(tmp_path_factory):
    """The articles above, in a real index on disk."""
    return _indexed(tmp_path_factory, "articles", ARTICLES)


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
