"""Normalisation, weighting and outlier treatment of `bianhe.index`, checked by hand and
against the COINr reference data (the ASEM example of COINr 0.6)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bianhe.index import weights
from bianhe.index.errors import SpecError
from bianhe.index.normalise import NORMALISERS, fit_normalisation, normalise
from bianhe.index.treatment import kurtosis, skewness, transform, treat

# The team's shared reference data (kept outside the project): ../shared beside the
# checkout, or $BIANHE_SHARED_DIR.
VALIDATION = Path(os.environ.get("BIANHE_SHARED_DIR")
                  or Path(__file__).resolve().parents[2] / "shared") / "validation"
COINR = VALIDATION / "coinr"
ASEM = COINR / "asem_coin_v06"
needs_reference = pytest.mark.skipif(
    not ASEM.is_dir(), reason=f"COINr reference data not available at {ASEM}"
)

X = np.array([1.0, 2.0, 4.0, np.nan, 9.0])


# --- normalisation: hand-computed ---------------------------------------------------------


def test_minmax_hand_computed():
    np.testing.assert_allclose(normalise(X, "minmax"), [0, 1 / 8, 3 / 8, np.nan, 1], equal_nan=True)
    np.testing.assert_allclose(
        normalise(X, "minmax", low=0, high=100, direction=-1),
        [100, 87.5, 62.5, np.nan, 0],
        equal_nan=True,
    )


def test_minmax_constant_column_is_nan_like_coinr():
    out = normalise(np.array([[3.0, 1.0], [3.0, 2.0]]), "minmax")
    assert np.isnan(out[:, 0]).all()
    np.testing.assert_allclose(out[:, 1], [0, 1])


def test_goalposts_hdi_and_coinr_cases():
    # UNDP HDI life expectancy: goalposts 20 and 85 years.
    np.testing.assert_allclose(
        normalise(np.array([72.5]), "goalposts", min=20, max=85), [52.5 / 65]
    )
    # COINr tests/testthat/test-normalise.R: n_goalposts with c(0, 10, 1).
    x = np.array([1.0, 11.0, -1.0])
    np.testing.assert_allclose(normalise(x, "goalposts", min=0, max=10), [0.1, 1, 0])
    np.testing.assert_allclose(normalise(x, "goalposts", min=0, max=10, direction=-1), [0.9, 0, 1])
    np.testing.assert_allclose(
        normalise(x, "goalposts", min=0, max=10, clip=False, scale=100), [10, 110, -10]
    )


def test_goalposts_per_column_and_bad_posts():
    x = np.array([[5.0, 5.0], [10.0, 0.0]])
    out = normalise(x, "goalposts", min=[0, 0], max=[10, 20])
    np.testing.assert_allclose(out, [[0.5, 0.25], [1.0, 0.0]])
    with pytest.raises(SpecError) as err:
        normalise(x, "goalposts", min=[0, 5], max=[10, 5], names=["gdp", "trade"])
    assert err.value.where == "trade"
    assert "trade" in str(err.value)


def test_zscore_uses_sample_sd_and_target_moments():
    x = np.array([2.0, 4.0, 6.0, np.nan])  # mean 4, sample sd 2
    np.testing.assert_allclose(normalise(x, "zscore"), [-1, 0, 1, np.nan], equal_nan=True)
    np.testing.assert_allclose(
        normalise(x, "zscore", mean=100, sd=10, direction=-1),
        [110, 100, 90, np.nan],
        equal_nan=True,
    )


def test_rank_and_percentile_average_ties():
    x = np.array([10.0, 30.0, 20.0, 30.0, np.nan])
    np.testing.assert_allclose(normalise(x, "rank"), [1, 3.5, 2, 3.5, np.nan], equal_nan=True)
    np.testing.assert_allclose(
        normalise(x, "percentile"), [0, 2.5 / 3, 1 / 3, 2.5 / 3, np.nan], equal_nan=True
    )
    np.testing.assert_allclose(
        normalise(x, "rank", direction=-1), [4, 1.5, 3, 1.5, np.nan], equal_nan=True
    )


def test_target_matches_coinr_dist2targ():
    x = np.array([0.0, 5.0, 11.0])
    np.testing.assert_allclose(normalise(x, "target", target=10, cap_max=False), [0, 0.5, 1.1])
    np.testing.assert_allclose(normalise(x, "target", target=10), [0, 0.5, 1])
    y = np.array([-1.0, 1.0, 10.0])
    np.testing.assert_allclose(
        normalise(y, "target", target=0, direction=-1, cap_max=False), [1.1, 0.9, 0]
    )
    np.testing.assert_allclose(normalise(y, "target", target=0, direction=-1), [1, 0.9, 0])
    with pytest.raises(SpecError):
        normalise(x, "target", target=-1)
    with pytest.raises(SpecError, match="required"):
        normalise(x, "target")


def test_frontier_and_ratios():
    x = np.array([2.0, 4.0, 8.0, np.nan])
    np.testing.assert_allclose(normalise(x, "frontier"), [0.25, 0.5, 1, np.nan], equal_nan=True)
    np.testing.assert_allclose(
        normalise(x, "frontier", direction=-1), [1, 0.5, 0.25, np.nan], equal_nan=True
    )
    mean = 14 / 3
    np.testing.assert_allclose(
        normalise(x, "ratio_mean"), [2 / mean, 4 / mean, 8 / mean, np.nan], equal_nan=True
    )
    np.testing.assert_allclose(
        normalise(x, "ratio_median", direction=-1), [2, 1, 0.5, np.nan], equal_nan=True
    )
    with pytest.raises(SpecError):
        normalise(np.array([-1.0, 2.0]), "frontier")


def test_efficacy_coefficient():
    x = np.array([50.0, 75.0, 100.0])
    np.testing.assert_allclose(normalise(x, "efficacy"), [60, 80, 100])
    np.testing.assert_allclose(normalise(x, "efficacy", direction=-1), [100, 80, 60])
    # fixed satisfactory (best) and unacceptable (worst) values: clipped to [60, 100]
    np.testing.assert_allclose(
        normalise(x, "efficacy", worst=60, best=90), [60, 60 + 40 * 15 / 30, 100]
    )
    np.testing.assert_allclose(
        normalise(x, "efficacy", worst=100, best=50, direction=-1, floor=0, span=100),
        [100, 50, 0],
    )
    with pytest.raises(SpecError, match="contradict"):
        normalise(x, "efficacy", worst=90, best=60)


def test_unknown_method_and_parameters():
    with pytest.raises(SpecError) as err:
        normalise(X, "softmax")
    assert err.value.where == "softmax"
    with pytest.raises(SpecError, match="unknown parameter"):
        normalise(X, "minmax", hi=3)
    with pytest.raises(SpecError, match="direction"):
        normalise(X, "minmax", direction=2)
    with pytest.raises(SpecError):
        normalise(X, "minmax", low=1, high=0)


# --- normalisation: fitted on one set, applied to another --------------------------------

# A method's parameters for the fitting set FIT (values 2 … 10) and either direction.
FIT = np.array([2.0, 4.0, np.nan, 10.0, 6.0])
NEW = np.array([0.0, 4.0, 12.0, np.nan])
PARAMS = {"goalposts": {"min": 0, "max": 20}, "target": {"target": 12.0}}
PARAMS_DOWN = {"goalposts": {"min": 0, "max": 20}, "target": {"target": 1.0}}


@pytest.mark.parametrize("method", NORMALISERS)
@pytest.mark.parametrize("direction", [1, -1])
def test_normalising_with_its_own_fitted_statistics_changes_nothing(method, direction):
    params = (PARAMS if direction == 1 else PARAMS_DOWN).get(method, {})
    fitted = fit_normalisation(FIT, method, direction=direction, **params)
    assert isinstance(fitted, dict)
    np.testing.assert_array_equal(
        normalise(FIT, method, direction=direction, fitted=fitted, **params),
        normalise(FIT, method, direction=direction, **params))


def test_fitted_statistics_apply_the_fitting_sets_formula_to_new_values():
    def fitted(method, **params):
        return normalise(NEW, method, fitted=fit_normalisation(FIT, method, **params), **params)

    # min 2, max 10 of the fitting set, not of the new values
    np.testing.assert_allclose(fitted("minmax"), [-0.25, 0.25, 1.25, np.nan])
    mean, sd = 5.5, np.std([2.0, 4.0, 10.0, 6.0], ddof=1)
    np.testing.assert_allclose(fitted("zscore"), (NEW - mean) / sd)
    np.testing.assert_allclose(fitted("frontier"), NEW / 10)
    np.testing.assert_allclose(fitted("ratio_median"), NEW / 5)
    np.testing.assert_allclose(fitted("target", target=12.0, cap_max=False), (NEW - 2) / 10)
    np.testing.assert_allclose(fitted("efficacy"), 60 + 40 * (NEW - 2) / 8)
    # rank and percentile have nothing to learn: relative to the values normalised
    np.testing.assert_allclose(fitted("rank"), [1, 2, 3, np.nan])
    np.testing.assert_allclose(fitted("none"), NEW)


def test_fitting_checks_the_data_and_the_columns_are_counted():
    with pytest.raises(SpecError, match="must exceed the lowest"):
        fit_normalisation(FIT, "target", target=1.0)
    x = np.column_stack([FIT, FIT * 2])
    fits = fit_normalisation(x, "minmax", direction=[1, -1], names=["a", "b"])
    assert fits == [{"min": 2.0, "max": 10.0}, {"min": -20.0, "max": -4.0}]
    with pytest.raises(SpecError, match="1 fitted statistics for 2 columns"):
        normalise(x, "minmax", fitted=fits[:1])


# --- normalisation: properties ------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
matrices = arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(1, 4)), elements=finite)


@given(matrices, st.floats(1e-3, 1e3), st.floats(-1e4, 1e4))
def test_minmax_invariant_to_units(x, c, d):
    span = x.max(axis=0) - x.min(axis=0)
    assume((span > 1e-3 * np.maximum(1.0, np.abs(x).max(axis=0))).all())
    np.testing.assert_allclose(normalise(x * c + d, "minmax"), normalise(x, "minmax"), atol=1e-6)


@given(matrices, st.randoms(use_true_random=False))
def test_normalisation_follows_row_order(x, rnd):
    perm = list(range(x.shape[0]))
    rnd.shuffle(perm)
    for method in ("minmax", "zscore", "rank", "percentile"):
        np.testing.assert_allclose(
            normalise(x[perm], method), normalise(x, method)[perm], equal_nan=True, atol=1e-9
        )


@settings(max_examples=50)
@given(
    arrays(np.float64, st.integers(3, 10), elements=st.floats(0.5, 1e3)),
    st.sampled_from(NORMALISERS),
)
def test_missing_stays_missing_and_direction_reverses(x, method):
    assume(np.unique(x).size == x.size)
    x = np.append(x, np.nan)
    params = {
        "goalposts": {"min": 0.0, "max": 1e3},
        "target": {"target": 2e3},
    }.get(method, {})
    up = normalise(x, method, **params)
    if method == "target":
        params = {"target": 0.0}
    down = normalise(x, method, direction=-1, **params)
    assert np.isnan(up[-1]) and np.isnan(down[-1])
    assert not np.isnan(up[:-1]).any()
    order = np.argsort(x[:-1])
    assert (np.diff(up[:-1][order]) >= -1e-12).all()
    assert (np.diff(down[:-1][order]) <= 1e-12).all()


# --- weights ------------------------------------------------------------------------------


def _sums_to_one(w):
    assert w.dtype == np.float64
    assert abs(w.sum() - 1.0) < 1e-12


def test_equal_and_explicit():
    _sums_to_one(weights.equal(4))
    np.testing.assert_allclose(weights.equal(4), [0.25] * 4)
    w = weights.explicit([1, 2, 1])
    _sums_to_one(w)
    np.testing.assert_allclose(w, [0.25, 0.5, 0.25])
    for bad in ([1, -1, 2], [0, 0], [], [1, np.nan]):
        with pytest.raises(SpecError):
            weights.explicit(bad)
    with pytest.raises(SpecError):
        weights.equal(0)


def test_entropy_hand_computed():
    # column 0 constant → entropy 1 → weight 0; column 1 is (0, 1): p = (0, 1), e = 0.
    x = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 3.0]])
    w = weights.entropy(x)
    _sums_to_one(w)
    e2 = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75)) / np.log(2)
    d = np.array([0.0, 1.0, 1.0 - e2])
    np.testing.assert_allclose(w, d / d.sum())
    with pytest.raises(SpecError):
        weights.entropy(np.array([[1.0, -1.0], [2.0, 3.0]]))
    with pytest.raises(SpecError, match="constant"):
        weights.entropy(np.ones((3, 2)))


def test_critic_hand_computed():
    # a and b perfectly correlated, c perfectly anti-correlated with both; all min–max
    # normalised to (0, .5, 1) or (1, .5, 0) so σ = 0.5 each.
    x = np.array([[0.0, 0.0, 1.0], [1.0, 5.0, 0.5], [2.0, 10.0, 0.0]])
    w = weights.critic(x)
    _sums_to_one(w)
    # C_a = σ(0 + 0 + 2) = 2σ, C_b = 2σ, C_c = σ(2 + 2 + 0) = 4σ
    np.testing.assert_allclose(w, [0.25, 0.25, 0.5])


def test_pca_block_structure_hand_computed():
    # Two independent blocks: r12 = 0.8, r34 = 0.6. Eigenvalues 1.8, 1.6, 0.4, 0.2, so two
    # factors (λ > 1, 45 % and 40 %, together 85 %). Loadings √0.9 on 1–2 and √0.8 on 3–4;
    # varimax leaves this simple structure; scaled squared loadings 0.5 each; factor
    # weights 1.8/3.4 and 1.6/3.4; indicator weights 0.5·1.8/3.4 and 0.5·1.6/3.4.
    r = np.eye(4)
    r[0, 1] = r[1, 0] = 0.8
    r[2, 3] = r[3, 2] = 0.6
    expected = [0.9 / 3.4, 0.9 / 3.4, 0.8 / 3.4, 0.8 / 3.4]
    w = weights.pca_from_correlation(r)
    _sums_to_one(w)
    np.testing.assert_allclose(w, expected, atol=1e-10)
    # data with exactly this sample correlation gives the same weights
    rng = np.random.default_rng(1)
    z = rng.normal(size=(30, 4))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    data = q @ np.linalg.cholesky(r).T * 5 + 10
    np.testing.assert_allclose(weights.pca(data), expected, atol=1e-10)


def test_pca_retention_rules():
    assert weights.retained_components(np.array([2.5, 1.2, 0.2, 0.1]), 1, 0.1, 0.6) == 2
    # one eigenvalue above 1 explains only 40 %: add components until 60 %
    assert weights.retained_components(np.array([1.6, 0.9, 0.8, 0.7]), 1, 0.1, 0.6) == 2
    assert weights.retained_components(np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.5]), 1, 0.1, 0.6) >= 1


def test_ahp_consistent_matrix_returns_its_weights():
    w_true = np.array([0.5, 0.25, 0.15, 0.1])
    a = w_true[:, None] / w_true[None, :]
    w, cr = weights.ahp(a)
    _sums_to_one(w)
    np.testing.assert_allclose(w, w_true, atol=1e-12)
    assert abs(cr) < 1e-12
    assert abs(weights.ahp_consistency(a)) < 1e-12


def test_ahp_saaty_classic_example():
    # Saaty's 3×3 example: weights 0.637, 0.258, 0.105, λmax 3.039, CR 0.033.
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    w, cr = weights.ahp(a)
    _sums_to_one(w)
    np.testing.assert_allclose(np.round(w, 3), [0.637, 0.258, 0.105])
    assert round(cr, 3) == 0.033
    assert cr == pytest.approx((3.0385110905581745 - 3) / 2 / 0.58, abs=1e-9)


def test_ahp_two_elements_cr_zero():
    w, cr = weights.ahp([[1, 4], [0.25, 1]])
    np.testing.assert_allclose(w, [0.8, 0.2])
    assert cr == 0


def test_ahp_rejects_bad_matrices():
    with pytest.raises(SpecError, match="reciprocal"):
        weights.ahp([[1, 2], [2, 1]])
    with pytest.raises(SpecError, match="square"):
        weights.ahp([[1, 2, 3], [0.5, 1, 2]])
    with pytest.raises(SpecError, match="positive"):
        weights.ahp([[1, -2], [-0.5, 1]])
    inconsistent = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(SpecError, match=r"CR = \d") as err:
        weights.ahp(inconsistent, name="criteria B")
    assert err.value.where == "criteria B"
    assert weights.ahp_consistency(inconsistent) > 0.1


# --- treatment ----------------------------------------------------------------------------


def test_skew_kurtosis_match_e1071_type2():
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    n = 5
    dev = x - x.mean()
    m2, m3, m4 = (np.mean(dev**k) for k in (2, 3, 4))
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
    assert skewness(x) == pytest.approx(g1 * np.sqrt(n * (n - 1)) / (n - 2))
    assert kurtosis(x) == pytest.approx(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))
    assert np.isnan(skewness([1.0, 1.0, 1.0]))


def test_treat_winsorises_top_outlier():
    x = np.array([1.0, 2, 2, 3, 3, 3, 4, 4, 5, 100, np.nan])
    out, rec = treat(x, column="x")
    assert rec.winsorised_high == 1 and rec.winsorised_low == 0 and not rec.log_transformed
    assert out[9] == 5 and np.isnan(out[-1])
    np.testing.assert_array_equal(out[:9], x[:9])
    assert abs(rec.skew_after) < 2 or rec.kurt_after < 3.5


def test_treat_falls_back_to_ctlog():
    x = np.array([1.0] * 10 + [2.0, 50.0, 1000.0])
    out, rec = treat(x, max_points=0, column="x")
    assert rec.log_transformed and rec.winsorised_high == 0
    np.testing.assert_allclose(out, np.log(x - 1 + 0.01 * 999))


def test_transforms():
    x = np.array([1.0, np.e, np.nan])
    np.testing.assert_allclose(transform(x, "log"), [0, 1, np.nan], equal_nan=True)
    np.testing.assert_allclose(transform(x, "boxcox", lmbda=0), [0, 1, np.nan], equal_nan=True)
    np.testing.assert_allclose(transform(np.array([4.0]), "boxcox", lmbda=0.5), [2.0])
    np.testing.assert_allclose(transform(np.array([0.0]), "log1p"), [0.0])
    np.testing.assert_allclose(
        transform(np.arange(11.0), "winsorise", lower=0.1, upper=0.9), [1, 1, *range(2, 9), 9, 9]
    )
    with pytest.raises(SpecError) as err:
        transform(np.array([1.0, 0.0]), "log", column="Tariff")
    assert err.value.where == "Tariff"


# --- COINr reference: ASEM example --------------------------------------------------------


@needs_reference
@pytest.mark.parametrize("max_points", [5, 6])
def test_treatment_reproduces_coinr(max_points):
    # COINr 0.6 default winmax = ceil(10 % of 51 units) = 6; no indicator needs more than 4.
    imputed = pd.read_csv(ASEM / "Data_Imputed.csv")
    treated = pd.read_csv(ASEM / "Data_Treated.csv")
    summary = pd.read_csv(ASEM / "Analysis_Treated_TreatSummary.csv").set_index("IndCode")
    flags = pd.read_csv(ASEM / "Analysis_Treated_TreatFlags.csv")
    for code, row in summary.iterrows():
        out, rec = treat(imputed[code].to_numpy(), max_points=max_points, column=code)
        np.testing.assert_allclose(out, treated[code].to_numpy(), rtol=0, atol=1e-6, err_msg=code)
        assert (rec.winsorised_low, rec.winsorised_high) == (row.Low, row.High), code
        assert not rec.log_transformed
        changed = out != imputed[code].to_numpy()
        assert changed.sum() == (flags[code] != "No").sum(), code


@needs_reference
def test_minmax_reproduces_coinr_normalised():
    treated = pd.read_csv(ASEM / "Data_Treated.csv")
    expected = pd.read_csv(ASEM / "Data_Normalised.csv")
    meta = pd.read_csv(COINR / "ASEM_iMeta.csv").set_index("iCode")
    codes = list(pd.read_csv(ASEM / "Analysis_Treated_TreatSummary.csv").IndCode)
    out = normalise(
        treated[codes].to_numpy(),
        "minmax",
        low=0,
        high=100,
        direction=meta.loc[codes, "Direction"].to_numpy(),
        names=codes,
    )
    np.testing.assert_allclose(out, expected[codes].to_numpy(), rtol=0, atol=1e-6)
