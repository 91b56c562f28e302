"""The back-test as a page anyone can open (an HTML file, its plots as PNG files beside it) and as tables
on the terminal."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table

from passerelle.backtest import LABELS, POLICIES, Backtest

PAGE = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Évaluation de Passerelle sur l'historique</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #161616; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #bbb; padding: .3rem .6rem; }
td.n { text-align: right; } img { max-width: 100%; } .en { color: #555; }
</style></head>
<body>
<main>
<h1>Évaluation sur l'historique <span class="en">/ Back-test on past referrals</span></h1>
<p>{{ b.trained_on }} orientations antérieures pour apprendre, {{ b.held_out }} personnes de la cohorte retenue,
{{ b.openings }} offres et {{ b.seats }} places (celles que la cohorte a réellement occupées).
<span class="en">{{ b.trained_on }} earlier referrals to learn from; the hold-out cohort of {{ b.held_out }}
people, {{ b.openings }} openings and the {{ b.seats }} seats it actually used.</span></p>
<p>Modèle de Passerelle : régression logistique calibrée{% if b.model.model.programmes %}, avec un effet par
programme{% endif %}, apprise sur {{ b.model.records }} orientations passées
<span class="en">({{ b.model.note }})</span>. Modèle d'évaluation : arbres de gradient boosting appris
sur les résultats de la cohorte retenue, d'une autre famille que celui de Passerelle.
<span class="en">Evaluation model: gradient-boosted trees learned from the hold-out cohort's outcomes, of
another family than Passerelle's.</span></p>

<h2>Réussites attendues <span class="en">/ Expected successes</span></h2>
<table>
<caption>Estimées par le modèle d'évaluation / estimated by the evaluation model</caption>
<thead><tr><th scope="col">Affectation / assignment</th><th scope="col">Personnes placées / placed</th>
<th scope="col">Réussites attendues / expected successes</th></tr></thead>
<tbody>
{% for name in rows %}<tr><th scope="row">{{ labels[name] }}</th><td class="n">{{ b.placed[name] }}</td>
<td class="n">{{ "%.1f"|format(b.expected[name]) }}</td></tr>
{% endfor %}</tbody></table>
<p><strong>Part du gain de l'optimum captée par Passerelle : {{ "%.1f"|format(100 * b.gain_captured) }} %</strong>
<span class="en">(share of the optimum's gain over first come, first served)</span>.
Réussites observées dans les orientations réelles / observed successes: {{ b.observed_successes }}.</p>
<img src="{{ stem }}-politiques.png" alt="Réussites attendues par affectation : premier arrivé
{{ '%.1f'|format(b.expected['fcfs']) }}, Passerelle {{ '%.1f'|format(b.expected['passerelle']) }},
optimum {{ '%.1f'|format(b.expected['optimum']) }}">

<h2>Calibration du modèle de Passerelle <span class="en">/ Calibration of Passerelle's model</span></h2>
<p>Sur les orientations réelles de la cohorte : score de Brier {{ "%.4f"|format(b.brier) }},
log loss {{ "%.4f"|format(b.log_loss) }}.</p>
<table>
<thead><tr><th scope="col">Réussite prédite (moyenne) / predicted</th><th scope="col">Réussite observée / observed</th>
<th scope="col">Orientations / referrals</th></tr></thead>
<tbody>
{% for predicted, observed, count in b.calibration %}<tr><td class="n">{{ "%.1f"|format(100 * predicted) }} %</td>
<td class="n">{{ "%.1f"|format(100 * observed) }} %</td><td class="n">{{ count }}</td></tr>
{% endfor %}</tbody></table>
<img src="{{ stem }}-calibration.png"
 alt="Courbe de calibration : réussite observée selon la réussite prédite, par dixième des prédictions">

{% if b.groups %}
<h2>Par groupe (suivi seulement, jamais utilisé pour décider)
<span class="en">/ By group (monitoring only, never a feature)</span></h2>
<table>
<thead><tr><th scope="col">Groupe / group</th><th scope="col">Personnes</th>
{% for name in policies %}<th scope="col">Placées, {{ labels[name] }}</th>{% endfor %}
<th scope="col">Réussite observée / observed</th></tr></thead>
<tbody>
{% for g in b.groups %}<tr><th scope="row">{{ g.column }} = {{ g.value }}</th><td class="n">{{ g.people }}</td>
{% for name in policies %}<td class="n">{{ "%.1f"|format(100 * g.placed[name]) }} %</td>{% endfor %}
<td class="n">{{ "%.1f"|format(100 * g.observed_success) }} %</td></tr>
{% endfor %}</tbody></table>
<img src="{{ stem }}-groupes.png" alt="Taux de placement par groupe et par affectation">
{% endif %}
</main>
</body></html>
"""


def write_report(result: Backtest, out: Path) -> list[Path]:
    """The page at `out` and its plots beside it; returns every file written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.with_suffix("")
    written = [_policies_plot(result, Path(f"{stem}-politiques.png")),
               _calibration_plot(result, Path(f"{stem}-calibration.png"))]  # fmt: skip
    if result.groups:
        written.append(_groups_plot(result, Path(f"{stem}-groupes.png")))
    page = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE)
    out.write_text(
        page.render(b=result, labels=LABELS, rows=[*POLICIES, "actual"], policies=POLICIES, stem=stem.name),
        encoding="utf-8",
    )
    return [out, *written]


def _policies_plot(result: Backtest, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(7, 3.2))
    names = [*POLICIES, "actual"]
    axes.barh(
        [LABELS[n] for n in names], [result.expected[n] for n in names], color=["#999", "#000091", "#18753c", "#bbb"]
    )
    axes.invert_yaxis()
    axes.set_xlabel("réussites attendues / expected successes")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _calibration_plot(result: Backtest, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(4.2, 4.2))
    predicted = [p for p, _, _ in result.calibration]
    observed = [o for _, o, _ in result.calibration]
    axes.plot([0, 1], [0, 1], color="#bbb", linestyle="--", label="parfait / perfect")
    axes.plot(predicted, observed, marker="o", color="#000091", label="Passerelle")
    axes.set_xlabel("réussite prédite / predicted")
    axes.set_ylabel("réussite observée / observed")
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _groups_plot(result: Backtest, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(7, 1.8 + 0.6 * len(result.groups)))
    height = 0.8 / len(POLICIES)
    for k, name in enumerate(POLICIES):
        axes.barh([i + k * height for i in range(len(result.groups))], [g.placed[name] * 100 for g in result.groups],
                  height=height, label=LABELS[name])  # fmt: skip
    axes.set_yticks([i + height for i in range(len(result.groups))], [f"{g.column} = {g.value}" for g in result.groups])
    axes.set_xlabel("placés / placed (%)")
    axes.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=1, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def print_figures(result: Backtest, console: Console) -> None:
    table = Table(title=f"Cohorte retenue / hold-out cohort: {result.held_out} personnes, {result.seats} places")
    for column in ("affectation / assignment", "placées / placed", "réussites attendues / expected"):
        table.add_column(column, justify="right")
    for name in [*POLICIES, "actual"]:
        table.add_row(LABELS[name], str(result.placed[name]), f"{result.expected[name]:.1f}")
    console.print(table)
    console.print(
        f"part du gain de l'optimum captée / share of the optimum's gain captured: {result.gain_captured:.1%}; "
        f"modèle de Passerelle sur les orientations réelles / Passerelle's model on the actual referrals: Brier "
        f"{result.brier:.4f}, log loss {result.log_loss:.4f}; réussites observées / observed successes "
        f"{result.observed_successes}"
    )
    if result.groups:
        groups = Table(title="Placés, par groupe (suivi seulement) / placed, by group (monitoring only)")
        groups.add_column("groupe / group")
        groups.add_column("personnes / people", justify="right")
        for name in POLICIES:
            groups.add_column(LABELS[name], justify="right")
        groups.add_column("réussite observée / observed success", justify="right")
        for g in result.groups:
            groups.add_row(f"{g.column} = {g.value}", str(g.people), *(f"{g.placed[n]:.1%}" for n in POLICIES),
                           f"{g.observed_success:.1%}")  # fmt: skip
        console.print(groups)
