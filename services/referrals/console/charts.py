"""Charts drawn on the server as SVG (no JavaScript library, nothing from a CDN), each with a text
equivalent for screen readers."""

from __future__ import annotations

from markupsafe import Markup, escape

from services.referrals.wording.i18n import translate
from shared.ops.history import Series

WIDTH, HEIGHT, PAD = 360, 90, 4


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def line_chart(series: Series, colour: str = "#000091") -> Markup:
    """A line over the last hour (one point a minute); gaps where nothing was reported."""
    known = series.known
    top = max(known, default=0.0) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(series.values) - 1, 1)
    segments: list[list[str]] = [[]]
    for i, value in enumerate(series.values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD)
        segments[-1].append(f"{x:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
        if len(points) > 1
        else '<circle cx="{}" cy="{}" r="3" fill="{}"/>'.format(*points[0].split(","), colour)
        for points in segments
        if points
    )
    label = translate(series.label)
    if known:
        summary = translate(
            "%(label)s, dernière heure : maximum %(top)s %(unit)s, dernière valeur %(last)s %(unit)s",
            label=label, top=_fmt(max(known)), last=_fmt(known[-1]), unit=series.unit,
        )  # fmt: skip
    else:
        summary = translate("%(label)s, dernière heure : aucune mesure", label=label)
    return Markup(
        f'<figure class="graphique"><figcaption>{escape(label)}</figcaption>'
        f'<svg role="img" aria-label="{escape(summary)}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}"><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#f6f6f6"/>{lines}</svg>'
        f'<p class="echelle"><span>{escape(translate("il y a 60 min"))}</span>'
        f"<span>max {escape(_fmt(max(known, default=0.0)))} {escape(series.unit)}</span>"
        f"<span>{escape(translate('maintenant'))}</span></p></figure>"
    )
