"""The report's HTML pieces: escaping (every string a student provided passes through
``esc``), tables, numbers and the pages' style sheet."""

from __future__ import annotations

import html

from grader.grading import names


def esc(text) -> str:
    return html.escape(names.clean(str(text)), quote=True)


def esc_block(text) -> str:
    return html.escape(names.clean(str(text), keep_newlines=True), quote=True)


CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--accent:#3b6ea8;--bad:#b42318;--ok:#2f7d4f}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
 margin:0;background:#f7f8fa;line-height:1.45}
header{background:#1f3b5c;color:#fff;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.5rem} header p{margin:.3rem 0 0;color:#cfd9e6}
nav{padding:.5rem 2rem;background:#fff;border-bottom:1px solid var(--line);font-size:.9rem}
nav a{margin-right:1rem;color:var(--accent);text-decoration:none}
main{padding:1rem 2rem 3rem;max-width:80rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.4rem;
 margin:1rem 0}
h2{margin:.2rem 0 .8rem;font-size:1.2rem} h3{font-size:1rem;margin:1rem 0 .4rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
.card span{color:var(--muted);font-size:.85rem}
.plot{display:flex;gap:1.2rem;align-items:flex-start;flex-wrap:wrap;margin:.6rem 0}
.plot img{border:1px solid var(--line);border-radius:4px;background:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(33rem,1fr));gap:.8rem}
table{border-collapse:collapse;font-size:.85rem}
th,td{border-bottom:1px solid var(--line);padding:.25rem .6rem;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f4f5f7;padding:.5rem .7rem;border-radius:4px;font-size:.78rem;white-space:pre-wrap;
 max-width:52rem;margin:.3rem 0}
.muted{color:var(--muted)} .bad{color:var(--bad)} .ok{color:var(--ok)}
.notice{background:#fff7e0;border-left:4px solid #e0a800;padding:.5rem 1rem}
details summary{cursor:pointer;color:var(--accent);white-space:nowrap}
a.pair{white-space:nowrap} table.wide{width:100%} table.wide td:first-child{width:72%}
.plot table td,.plot table th{padding:.15rem .6rem}
.flag{display:inline-block;border-radius:3px;padding:0 .35rem;margin:0 .15rem .1rem 0;
 font-size:.75rem;background:#eef2f7;white-space:nowrap}
.flag.nothing,.flag.crashed,.flag.risk{background:#fde8e6;color:var(--bad)}
"""


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           wide: bool = False) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table{' class=wide' if wide else ''}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
