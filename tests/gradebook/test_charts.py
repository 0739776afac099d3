import xml.etree.ElementTree as ET

from hub.services.gradebook import charts


def test_histogram_bins_put_100_in_the_last_bin():
    bins = charts.histogram_bins([0, 9.9, 10, 55, 100, 100])
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_svg_is_well_formed_and_labelled():
    svg = charts.pass_rate_svg([("test_<script>", 20.0), ("ok", 90.0)], title="T & t",
                               desc="D", chart_id="x")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "x-title x-desc"
    assert "<script>" not in svg
    fills = [r.get("fill") for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert fills == [charts.LOW, charts.BAR]
    ET.fromstring(charts.histogram_svg(charts.histogram_bins([50]), title="h", desc="d",
                                       axis_label="a", chart_id="h"))
