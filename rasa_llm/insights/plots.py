"""The report's plots as inline SVG (matplotlib, Agg backend: no display, nothing downloaded)."""
from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Text stays text in the SVG: smaller files, and the labels are searchable in the page.
plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 100})
_TOP_INTENTS = 8


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG sits inside HTML


def _days_axis(axis: Any, days: list[str]) -> None:
    step = max(1, len(days) // 12)
    axis.set_xticks(range(0, len(days), step))
    axis.set_xticklabels(days[::step], rotation=45, ha="right")


def volume(figures: dict[str, Any]) -> str:
    rows = figures["volume"]
    days = [row["day"] for row in rows]
    figure, axis = plt.subplots(figsize=(8, 3))
    axis.bar(range(len(days)), [row["turns"] for row in rows], color="#9ecae1", label="turns (user messages)")
    axis.plot(range(len(days)), [row["conversations"] for row in rows], color="#08519c", marker="o",
              label="conversations")
    axis.set_title("Volume per day")
    axis.legend(loc="upper left")
    _days_axis(axis, days)
    return _svg(figure)


def intent_trend(figures: dict[str, Any]) -> str:
    by_day = figures["intents"]["by_day"]
    days = sorted(by_day)
    top = list(figures["intents"]["total"])[:_TOP_INTENTS]
    figure, axis = plt.subplots(figsize=(8, 3.5))
    for intent in top:
        shares = [by_day[day].get(intent, 0) / max(1, sum(by_day[day].values())) for day in days]
        axis.plot(range(len(days)), shares, marker=".", label=intent)
    axis.set_title(f"Intent mix per day (share of messages, top {len(top)} intents)")
    axis.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    _days_axis(axis, days)
    return _svg(figure)


def rates(figures: dict[str, Any]) -> str:
    by_day = figures["intents"]["by_day"]
    days = sorted(by_day)
    sentiment = {row["day"]: row["negative_share"] for row in figures["sentiment"]["by_day"]}
    figure, axis = plt.subplots(figsize=(8, 3))
    for intent, label in (("nlu_fallback", "nlu_fallback"), ("out_of_scope", "out of scope")):
        axis.plot(range(len(days)),
                  [by_day[day].get(intent, 0) / max(1, sum(by_day[day].values())) for day in days],
                  marker=".", label=label)
    axis.plot(
        range(len(days)), [sentiment.get(day, 0.0) for day in days], marker=".", label="negative sentiment"
    )
    axis.set_title("Share of messages per day")
    axis.legend(loc="upper left")
    _days_axis(axis, days)
    return _svg(figure)


def knowledge(figures: dict[str, Any]) -> str:
    modes = ("generated", "extractive", "abstained")
    figure, axis = plt.subplots(figsize=(5, 2.5))
    axis.barh(modes, [figures["knowledge"][mode] for mode in modes], color=["#31a354", "#74c476", "#de2d26"])
    axis.invert_yaxis()
    axis.set_title("Knowledge answers by outcome")
    return _svg(figure)


def forms(figures: dict[str, Any]) -> str:
    names = list(figures["forms"])
    figure, axis = plt.subplots(figsize=(7, 0.6 * len(names) + 1.2))
    completed = [figures["forms"][name]["completed"] for name in names]
    abandoned = [figures["forms"][name]["abandoned"] for name in names]
    axis.barh(names, completed, color="#31a354", label="completed")
    axis.barh(names, abandoned, left=completed, color="#fd8d3c", label="abandoned")
    axis.invert_yaxis()
    axis.set_title("Form funnels (started = completed + abandoned)")
    axis.legend(loc="lower right")
    return _svg(figure)


def all_plots(figures: dict[str, Any]) -> dict[str, str]:
    """SVG per section of the report; sections without data get none."""
    plots = {}
    if figures["volume"]:
        plots.update(volume=volume(figures), intents=intent_trend(figures), rates=rates(figures))
    if figures["knowledge"]["answers"]:
        plots["knowledge"] = knowledge(figures)
    if figures["forms"]:
        plots["forms"] = forms(figures)
    return plots
