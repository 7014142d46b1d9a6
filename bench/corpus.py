"""The reference corpus (../shared/corpus, never copied into the project) as Servicebook articles.

Each manual page becomes a published article whose body is the page's text in a fenced block, so
the article shows exactly the page's text and a plain substring test can say which pages hold a word.
`copies` > 1 imports the corpus again under new slugs, to measure a bigger knowledge base.
"""
import gzip
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SERVICEBOOK_CORPUS", ROOT.parent / "shared" / "corpus"))
PAGES = CORPUS / "manpages.jsonl.gz"
QUERIES = CORPUS / "search-queries.json"


def available() -> bool:
    return PAGES.exists() and QUERIES.exists()


def pages(languages: tuple[str, ...] = ("en", "zh")) -> list[dict]:
    with gzip.open(PAGES, "rt", encoding="utf-8") as lines:
        return [page for page in map(json.loads, lines) if page["lang"] in languages]


# Common words: each matches 80 to 500 of the 1,803 pages at 1x (ten times as many at 10x), the searches that
# make every match count. Chosen from the index's document frequencies, English and Chinese alike.
COMMON_WORDS = {
    "en": ["file system", "password", "memory", "kernel", "process", "command", "string", "options", "user",
           "version", "error", "files", "address", "time", "data", "read", "write", "exit status", "default",
           "example", "support", "create", "list", "character", "pointer"],
    "zh": ["命令", "文件", "参数", "选项", "系统", "版本", "错误", "用户", "程序", "字符", "设置", "输出", "返回",
           "数据", "目录", "变量", "格式", "帮助", "默认", "文档", "文件 系统", "用户 权限", "返回 值", "错误 信息",
           "命令 选项"],
}


def queries(mix: str = "reference") -> list[dict]:
    """The 200 reference queries (search-queries.json), the common-word mix, or both."""
    reference = json.loads(QUERIES.read_text(encoding="utf-8")) if mix in ("reference", "both") else []
    common = [{"q": q, "lang": lang} for lang, words in COMMON_WORDS.items() for q in words]
    return reference + (common if mix in ("common", "both") else [])


def body_of(page: dict) -> str:
    return f"~~~~~~~~ text\n{page['body']}\n~~~~~~~~\n"


def article_file(page: dict, copy: int, owner: str) -> str:
    suffix = f" ({copy + 1})" if copy else ""
    meta = {"title": page["title"][:200 - len(suffix)] + suffix,
            "slug": f"man-{copy}-{page['id']}"[:120].lower().replace(".", "-").replace("/", "-"),
            "type": "knowledge_article", "language": page["lang"], "state": "published", "owner": owner,
            "category": "Reference/Manual pages" if page["lang"] == "en" else "参考/手册页",
            "tags": ["manpage", page["lang"]]}
    if len(page["title"]) > 200:  # the whole title stays readable (and searchable) as the summary
        meta["summary"] = page["title"][:300]
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body_of(page)


def write_folder(folder: Path, selected: list[dict], copies: int = 1, owner: str = "admin") -> int:
    count = 0
    for copy in range(copies):
        for page in selected:
            (folder / f"man-{copy}-{count}.md").write_text(article_file(page, copy, owner), encoding="utf-8")
            count += 1
    return count


def import_corpus(selected: list[dict], copies: int = 1, owner: str = "admin", batch: int = 500) -> dict:
    """Import as `flask kb import` does (kb.transfer in batches, then kb.search.index.index_bulk on every core),
    from one folder of files; needs an app context. Returns the seconds of each part."""
    from flask import current_app

    from accounts.auth import find_user
    from core.db import db
    from kb import transfer
    from kb.search import index as search_index

    with tempfile.TemporaryDirectory() as folder:
        write_folder(Path(folder), selected, copies, owner)
        started = time.perf_counter()
        with search_index.bulk(db.session):
            transfer.import_folder(Path(folder), find_user(owner), current_app.config["MAX_BODY_CHARS"], batch)
            db.session.commit()
        stored = time.perf_counter()
        search_index.index_bulk()
        indexed = time.perf_counter()
    return {"seconds": indexed - started, "database_seconds": stored - started, "indexing_seconds": indexed - stored}


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {cpus} cores {model}, Python {platform.python_version()}, {platform.system()}"
