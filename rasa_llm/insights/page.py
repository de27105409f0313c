"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched."""
from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ddd; padding: 0.3em 0.6em; }
th { background: #f4f4f4; text-align: left; } td.n { text-align: right; }
.note { color: #555; } .empty { font-size: 1.2em; padding: 1em; background: #fff4e5; }
figure { margin: 1em 0; } svg { max-width: 100%; height: auto; }
"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_number(cell)}</td>'
            if isinstance(cell, int | float)
            else f"<td>{escape(str(cell))}</td>"
            for cell in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.1%}" if value <= 1 else f"{value:,.2f}"


def _figure(plots: dict[str, str], name: str) -> str:
    return f'<figure class="plot" data-plot="{name}">{plots[name]}</figure>' if name in plots else ""


def render(report: dict[str, Any], plots: dict[str, str]) -> str:
    window = report["window"]
    totals = report["totals"]
    parts = [
        f"<h1>Conversation insights</h1><p>Window: {escape(window['since'])} to {escape(window['until'])} "
        "(UTC, "
        f"end excluded). Tracker store: {escape(report['store'])}. Personal data (emails, order numbers, "
        "addresses, phone and card numbers) is masked.</p>",
    ]
    if totals["unreadable_events"]:
        parts.append(f'<p class="note">{totals["unreadable_events"]:,} stored events could not be read and '
                     "were skipped.</p>")
    if not totals["conversations"]:
        parts.append('<p class="empty" id="empty-window">No conversations in this window.</p>')
        return _page(parts)
    parts += _overview(report, plots) + _knowledge(report, plots) + _containment(report)
    parts += _forms(report, plots) + _sentiment(report) + _todo(report)
    return _page(parts)


def _overview(report: dict[str, Any], plots: dict[str, str]) -> list[str]:
    totals, fallback = report["totals"], report["fallback"]
    return [
        "<h2>Volume</h2>",
        f"<p>{totals['conversations']:,} conversations, {totals['turns']:,} user messages.</p>",
        _figure(plots, "volume"),
        "<h2>Intents</h2>",
        f"<p>nlu_fallback: {fallback['nlu_fallback']:,} messages ({fallback['nlu_fallback_rate']:.1%}); "
        f"out of scope: {fallback['out_of_scope']:,} ({fallback['out_of_scope_rate']:.1%}).</p>",
        _figure(plots, "intents"),
        _figure(plots, "rates"),
        _table(["intent", "messages"], [[name, count] for name, count in report["intents"]["total"].items()]),
    ]


def _knowledge(report: dict[str, Any], plots: dict[str, str]) -> list[str]:
    knowledge = report["knowledge"]
    topics = [group for group in report["todo"]["groups"] if group["reasons"].get("abstained")]
    return [
        "<h2>Knowledge answers</h2>",
        _table(
            ["outcome", "answers", "share"],
            [
                [mode, knowledge[mode], knowledge[f"{mode}_share"]]
                for mode in ("generated", "extractive", "abstained")
            ],
        ),
        _figure(plots, "knowledge"),
        "<h3>Topics of abstentions</h3>",
        _table(
            ["abstentions", "example questions"],
            [[group["reasons"]["abstained"], " | ".join(group["examples"])] for group in topics[:10]],
        )
        if topics
        else "<p>None.</p>",
    ]


def _containment(report: dict[str, Any]) -> list[str]:
    containment = report["containment"]
    return [
        "<h2>Containment and handoffs</h2>",
        f"<p>{containment['containment_rate']:.1%} of conversations were resolved without a person; "
        f"{containment['handed_off']:,} ({containment['handoff_rate']:.1%}) were handed off.</p>",
        "<h3>Right before a handoff</h3>",
        _table(["bot's previous action", "customer's intent", "handoffs"],
               [[row["bot_action"], row["intent"], row["count"]] for row in containment["before_handoff"]]),
    ]


def _forms(report: dict[str, Any], plots: dict[str, str]) -> list[str]:
    rows = [
        [name, funnel["started"], funnel["completed"], funnel["abandoned"],
         ", ".join(f"{slot}: {count}" for slot, count in funnel["abandoned_at"].items())]
        for name, funnel in report["forms"].items()
    ]
    return [
        "<h2>Form funnels</h2>",
        _table(["form", "started", "completed", "abandoned", "abandoned at"], rows)
        if rows
        else "<p>No form was started.</p>",
        _figure(plots, "forms"),
    ]


def _sentiment(report: dict[str, Any]) -> list[str]:
    sentiment = report["sentiment"]
    return [
        "<h2>Negative sentiment</h2>",
        f"<p>{sentiment['negative']:,} negative messages. The plot of shares per day is under Intents.</p>",
        _table(
            ["day", "messages", "negative", "share"],
            [
                [row["day"], row["messages"], row["negative"], row["negative_share"]]
                for row in sentiment["by_day"]
            ],
        ),
        "<h3>What came before them</h3>",
        _table(
            ["customer's previous intent", "negative messages"],
            [list(item) for item in sentiment["after_intent"].items()],
        ),
        _table(
            ["bot's previous action", "negative messages"],
            [list(item) for item in sentiment["after_bot_action"].items()],
        ),
    ]


def _todo(report: dict[str, Any]) -> list[str]:
    todo = report["todo"]
    reasons = ", ".join(f"{reason}: {count:,}" for reason, count in report["unhandled"]["by_reason"].items())
    parts = [
        '<h2 id="todo">To-do list for designers</h2>',
        f"<p>{report['unhandled']['messages']:,} messages the bot could not handle "
        f"({escape(reasons) or 'none'}), "
        "grouped by meaning, biggest group first.</p>",
    ]
    if todo["not_grouped"]:
        parts.append(
            f'<p class="note">{todo["not_grouped"]:,} rarer messages were counted but not grouped.</p>'
        )
    parts.append(_table(
        ["#", "messages", "examples", "why unhandled", "suggestion"],
        [[index, group["size"], " | ".join(group["examples"]),
          ", ".join(f"{reason}: {count}" for reason, count in group["reasons"].items()), group["suggestion"]]
         for index, group in enumerate(todo["groups"], start=1)],
    ))
    return parts


def _page(parts: list[str]) -> str:
    body = "\n".join(part for part in parts if part)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Conversation insights</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
