"""The digits labs' printing: one measurement, printed as one number."""

import re

from nerve.diagnostics.labs.train import lab_vanishing


def test_vanishing_prints_the_verdicts_ratio_not_a_second_estimate(tmp_path):
    result = lab_vanishing(quick=True, out=str(tmp_path))
    ratio = result.numbers["sigmoid"]["ratio"]
    verdict = re.search(r"sigmoid: gradient norm at layer 1 is (\S+) of layer 10's", result.report)
    finding = re.search(r"sigmoid (\S+), ReLU", result.finding)
    assert verdict and finding
    assert float(verdict.group(1)) == float(finding.group(1)) == float(f"{ratio:.2g}")
    # the summary line does not repeat the ratio its finding already states
    sigmoid_verdict = result.report.split("\nReLU")[0]
    assert "layer 1/layer 10" not in sigmoid_verdict
