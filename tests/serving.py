"""Run ``vnsearch serve`` as a real process on a free loopback port, for the tests."""

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A ``vnsearch serve`` process: ``url``, ``client``, ``log()``; ``stop()`` ends it."""

    def __init__(self, index_path, *args, env=None, host_option=True, timeout=60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "vnsearch", "serve", "--index", str(index_path),
                   "--port", str(self.port), "--no-access-log", *map(str, args)]
        if host_option:
            command += ["--host", "127.0.0.1"]
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("VNSEARCH_")}
        environment.update(env or {})
        self.log_path = os.path.join(os.path.dirname(str(index_path)),
                                     f"server-{self.port}.log")
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=environment)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log()}")
            try:
                self.client.get("/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the server did not start: {self.log()}")
                time.sleep(0.1)

    def log(self) -> str:
        self._log.flush()
        with open(self.log_path) as log:
            return log.read()

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def year_articles(count=24, years=(2019, 2020, 2021, 2022)):
    """Articles about gold prices spread over ``years``, enough for several pages."""
    places = ["Hà Nội", "TP.HCM", "Đà Nẵng", "Cần Thơ", "Hải Phòng", "Huế"]
    moves = ["tăng mạnh", "giảm nhẹ", "đi ngang", "tăng nhẹ"]
    articles = []
    for number in range(count):
        year = years[number % len(years)]
        place = places[number % len(places)]
        move = moves[number % len(moves)]
        articles.append({
            "id": f"vang-{number:02d}",
            "title": f"Giá vàng tại {place} {move} phiên thứ {number + 1}",
            "date": f"{year}-{1 + number % 12:02d}-{1 + number % 27:02d}",
            "body": f"Giá vàng miếng tại {place} {move} trong phiên giao dịch hôm nay. "
                    f"Các doanh nghiệp kinh doanh vàng bạc đá quý điều chỉnh giá mua vào "
                    f"và bán ra; người dân theo dõi thị trường vàng để quyết định."})
    return articles


XSS_ARTICLE = {
    "id": "xss", "title": "<script>alert(1)</script>", "date": "2023-02-03",
    "body": 'Bài kiểm tra an toàn: <img src=x onerror="window.__xss=1"> '
            "đoạn mã chèn vào tiêu đề và nội dung không được chạy trên trang tìm kiếm."}
