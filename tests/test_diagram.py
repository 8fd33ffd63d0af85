"""The plate diagram: DOT source always (shading, plates, edge roles); a rendered file when the
``dot`` program is installed."""

from __future__ import annotations

import re

import pytest

import lvmdsl as lv
from lvmdsl.demo import gmm_model
from lvmdsl.graph.diagram import dot_available


def edges(src: str) -> dict:
    return {(a, b): lab for a, b, lab in re.findall(r"\t(\w+) -> (\w+) \[label=\"?([^\]\"]*)\"?\]", src)}


def test_mixture_diagram_source():
    m = gmm_model()
    g = lv.graph(m)
    src = g.source
    assert src == m.to_graphviz().source
    assert edges(src) == {("pi", "z"): "p", ("mu", "x"): "mean", ("tau", "x"): "precision", ("z", "x"): "index"}
    # the observed variable is shaded and nothing else is
    assert re.search(r"\tx \[label=\"x\nNormal\" fillcolor=\"#c8c8c8\" shape=ellipse style=filled\]", src)
    assert src.count("style=filled") == 1
    # plates are clusters holding exactly what was declared in them
    k = src[src.index("subgraph cluster_k"):]
    k = k[:k.index("}")]
    n = src[src.index("subgraph cluster_n"):]
    n = n[:n.index("}")]
    assert "mu [" in k and "tau [" in k and "z [" not in k and 'label="k (3)"' in k
    assert "z [" in n and "x [" in n and "mu [" not in n and 'label="n = 1..N"' in n
    assert src.index("\tpi [") < src.index("subgraph")        # pi is outside every plate


def test_nested_plates_constants_params_and_two_roles():
    with lv.Model("nested") as m:
        s = lv.Param("s", constraint="positive")
        with lv.plate("g", 4):
            a = lv.Normal("a", mean=0.0, var=s)
            with lv.plate("n", "N"):
                t = lv.Const("t", shape=())
                lv.Normal("y", mean=a * t, precision=a * a + 1.0, observed=True)
        with lv.plate("o", "O"):
            row = lv.Const("row", shape=())
            lv.Normal("r", mean=a[row], var=1.0, observed=True)
    src = lv.graph(m).source
    assert "subgraph cluster_g_n" in src and src.index("subgraph cluster_g {") < src.index("subgraph cluster_g_n")
    assert "\ts [label=s shape=diamond]" in src
    assert "\tt [label=t color=gray40 shape=box style=rounded]" in src
    e = edges(src)
    assert e[("a", "y")] == "mean, precision" and e[("t", "y")] == "mean"
    assert e[("row", "r")] == "index" and e[("a", "r")] == "mean" and e[("s", "a")] == "var"
    assert set(e) == {("s", "a"), ("a", "y"), ("t", "y"), ("a", "r"), ("row", "r")}


@pytest.mark.skipif(not dot_available(), reason="the graphviz 'dot' program is not installed")
def test_renders_to_files(tmp_path):
    g = gmm_model().to_graphviz()
    png = g.render(tmp_path / "gmm", format="png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    svg = g._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and ">index<" in svg


def test_lv_graph_is_the_function():
    import lvmdsl.graph.validate  # noqa: F401  (importing the subpackage again leaves lv.graph alone)
    assert callable(lv.graph) and lv.graph.__module__ == "lvmdsl.graph.diagram"
