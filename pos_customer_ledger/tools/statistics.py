"""The statistics of the audit rules, small enough not to need SciPy."""

import math

# a robust z-score is 0.6745 (x - median) / MAD; when half the values equal the
# median (MAD = 0), (x - median) / (1.2533 mean absolute deviation)
MAD_FACTOR = 0.6745
MEAN_AD_FACTOR = 1.253314


def chi_square(observed, expected_shares):
    """Pearson's chi-square of ``observed`` counts against ``expected_shares`` (summing to 1)."""
    total = sum(observed)
    return sum(
        (count - total * share) ** 2 / (total * share)
        for count, share in zip(observed, expected_shares, strict=True)
        if share > 0
    )


def chi_square_p_value(statistic, dof):
    """P(X >= statistic) for a chi-square X with ``dof`` (a whole number) degrees
    of freedom, by the closed forms of the regularised upper gamma function."""
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    if dof % 2 == 0:
        term = total = math.exp(-half)
        for i in range(1, dof // 2):
            term *= half / i
            total += term
        return min(total, 1.0)
    root = math.sqrt(statistic)
    total = math.erfc(root / math.sqrt(2))
    term = math.sqrt(2 / math.pi) * math.exp(-half)
    for i in range(1, (dof + 1) // 2):
        term *= statistic / (2 * i - 1) if i > 1 else root
        total += term
    return min(total, 1.0)
