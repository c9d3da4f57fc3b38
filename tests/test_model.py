"""The scoring model is data: the default loads, and a malformed model is a clear error."""

from pathlib import Path

import pytest
import yaml

from klantladder.errors import ModelError
from klantladder.model import apply_scale, default_model, load_model


def test_default_model_has_five_rungs_seven_dimensions_and_enough_items():
    m = default_model()
    assert [r.level for r in m.rungs] == [1, 2, 3, 4, 5]
    assert m.dimension_keys == ("knowledge", "service", "experience", "loyalty", "listening", "strategy", "ethics")
    for d in m.dimensions:
        assert len(d.employee_items) >= 3
        assert len(d.customer_items) >= 3 or d.key == "strategy"
        for item in d.employee_items + d.customer_items:
            assert item.column.startswith(d.key + "_")
            assert item.text["nl"] and item.text["en"] and item.text["nl"] != item.text["en"]
    assert not m.dimension("strategy").customer_items


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(Path(default_model().path).read_text(encoding="utf-8"))
    mutate(raw)
    p = tmp_path / "model.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize("mutate, words", [
    (lambda r: r.pop("rungs"), "rungs"),
    (lambda r: r["rungs"][2]["conditions"].append({"dimension": "nonsense", "min": 3}), "nonsense"),
    (lambda r: r["rungs"][1]["conditions"].append({"dimension": "service"}), "min"),
    (lambda r: r["dimensions"][0]["kpis"].append("no_such_kpi"), "no_such_kpi"),
    (lambda r: r["kpis"]["nps"].update(scale=[[0, 150], [1, 0]]), "0 and 100"),
    (lambda r: r["rungs"].reverse(), "order"),
])
def test_malformed_model_names_the_problem(tmp_path, mutate, words):
    with pytest.raises(ModelError) as info:
        load_model(_write(tmp_path, mutate))
    assert words in info.value.text("en")


def test_not_yaml_is_a_model_error(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("rungs: [1, 2\n  - : :", encoding="utf-8")
    with pytest.raises(ModelError, match="YAML"):
        load_model(p)


def test_a_key_written_twice_in_a_model_is_named_not_silently_overridden(tmp_path):
    """A firm's model with ``source_weights`` edited twice would count only the last: refused,
    with the key and its lines."""
    from klantladder.model import DEFAULT_MODEL

    text = (Path(__file__).resolve().parents[1] / "klantladder" / "models" / DEFAULT_MODEL).read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("min_group_size:"))
    lines.insert(at + 1, "min_group_size: 3")
    p = tmp_path / "firm.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(p)
    said = info.value.text("en")
    assert f"'min_group_size' (lines {at + 1}, {at + 2})" in said and "Only the last would count" in said


def test_kpi_scale_is_piecewise_linear_and_clamped():
    scale = ((1.0, 100.0), (48.0, 0.0))
    assert apply_scale(1.0, scale) == 100.0
    assert apply_scale(48.0, scale) == 0.0
    assert apply_scale(0.2, scale) == 100.0
    assert apply_scale(200.0, scale) == 0.0
    assert apply_scale(24.5, scale) == pytest.approx(50.0)


def test_unquoted_text_with_a_comma_is_refused(tmp_path):
    def mutate(r):
        r["dimensions"][1]["items"]["employee"][0] = {"nl": "Vriendelijk", "ook als het druk is": None,
                                                       "en": "Friendly"}

    with pytest.raises(ModelError, match="quote"):
        load_model(_write(tmp_path, mutate))


def test_texts_with_commas_are_whole():
    m = default_model()
    assert m.kpis["ces"].name["nl"] == "Klantinspanning (CES, 1-7)"
    assert m.dimension("strategy").name["nl"] == "Strategie, leiderschap & cultuur"
    assert all(i.text["nl"].endswith((".", "?")) for d in m.dimensions for i in d.employee_items + d.customer_items)
