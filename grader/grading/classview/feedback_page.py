"""A student's feedback.md as a static HTML page (feedback.html beside it), for the class
report's links.

It reads only the Markdown that ``report.feedback_markdown`` writes: headings, paragraphs,
``- `` lists, pipe tables, fenced code blocks, ``**bold**``, ```code``` spans, backslash
escapes (``names.markdown``) and the learning-curve image beside it. Every character of
text is HTML-escaped and the only tags are the ones made here, so a student's name or a
message (``<script>``, ``</pre>``, a fence of its own) shows as text; an image other than
a ``curves_*.png`` beside the page is shown as its alt text.
"""

from __future__ import annotations

import html
import re

from grader.core.i18n import pick
from grader.grading import names
from grader.grading.classview.markup import CSS

_FENCE = re.compile(r"^(`{3,})$")
_HEADING = re.compile(r"^(#{1,3}) (.*)$")
_IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]*)\)$")
_LOCAL_PNG = re.compile(r"^curves_[A-Za-z0-9_.-]+\.png$")
FILE_NAME = "feedback.html"
_PUNCT = set("\\`*_{}[]()#+-.!|<>~")


def inline(text: str) -> str:
    """One line of Markdown to escaped HTML: ``code`` spans, **bold**, backslash escapes."""
    out, i, strong = [], 0, False
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCT:
            out.append(html.escape(text[i + 1]))
            i += 2
        elif ch == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            end = text.find("`" * run, i + run)
            if end < 0:
                out.append(html.escape(text[i:i + run]))
                i += run
                continue
            out.append(f"<code>{html.escape(text[i + run:end].strip())}</code>")
            i = end + run
        elif text.startswith("**", i):
            out.append("</strong>" if strong else "<strong>")
            strong, i = not strong, i + 2
        else:
            out.append(html.escape(ch))
            i += 1
    return "".join(out) + ("</strong>" if strong else "")


def cells(line: str) -> list[str]:
    """A pipe table row's cells (``\\|`` is a pipe inside a cell)."""
    parts, cur, i = [], "", 0
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            cur += body[i:i + 2]
            i += 2
            continue
        if body[i] == "|":
            parts.append(cur.strip())
            cur = ""
        else:
            cur += body[i]
        i += 1
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _table(rows: list[str]) -> str:
    head, body = cells(rows[0]), [cells(r) for r in rows[2:]]
    return ("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head)
            + "</tr></thead><tbody>" + "".join(
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body)
            + "</tbody></table>")


def _image(alt: str, src: str) -> str:
    if _LOCAL_PNG.match(src):
        return f'<p><img src="{html.escape(src)}" alt="{html.escape(alt)}"></p>'
    return f"<p>{html.escape(alt)}</p>"


def body(markdown: str) -> str:
    """The Markdown's blocks as HTML."""
    lines = names.clean(markdown, keep_newlines=True).splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        fence, heading, image = _FENCE.match(line), _HEADING.match(line), _IMAGE.match(line)
        if fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j] == fence.group(1)),
                       len(lines))
            out.append("<pre>" + html.escape("\n".join(lines[i + 1:end])) + "</pre>")
            i = end + 1
            continue
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif image:
            out.append(_image(image.group(1), image.group(2)))
        elif line.startswith("|"):
            end = next((j for j in range(i, len(lines)) if not lines[j].startswith("|")),
                       len(lines))
            out.append(_table(lines[i:end]))
            i = end
            continue
        elif line.startswith("- "):
            end = next((j for j in range(i, len(lines)) if not lines[j].startswith("- ")),
                       len(lines))
            out.append("<ul>" + "".join(f"<li>{inline(x[2:])}</li>" for x in lines[i:end])
                       + "</ul>")
            i = end
            continue
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
        i += 1
    return "\n".join(out)


def page(markdown: str, lang: str) -> str:
    """The whole page: the feedback's own title, the report's style, no script."""
    first = markdown.splitlines()[0] if markdown.strip() else ""
    title = re.sub(r"<[^>]*>", "", inline(first.lstrip("# "))) or "feedback"
    back = pick({"en": "Back to the class report", "vi": "Về trang báo cáo lớp"}, lang)
    return f"""<!DOCTYPE html>
<html lang="{html.escape(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - cnnkit</title>
<style>{CSS}
main{{max-width:60rem}} main h1{{font-size:1.4rem}} code{{background:#f4f5f7;padding:0 .2rem}}
</style></head><body>
<nav><a href="../../report.html">{html.escape(back)}</a></nav>
<main><section>
{body(markdown)}
</section></main></body></html>
"""
