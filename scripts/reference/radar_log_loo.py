"""Reference numbers for the radar's log-scale model (crates/engine/src/radar.rs, test
`matches_statsmodels_leave_one_out_on_the_log_scale`), computed independently of the engine:
for each area, statsmodels OLS refitted WITHOUT that area on log(use + c), its prediction for the
area with the 90% prediction interval for a new observation (get_prediction(...).summary_frame,
obs_ci_lower/upper), transformed back with exp(.) - c and clamped at 0.

Run: python3 -m venv venv && venv/bin/pip install numpy scipy statsmodels
     venv/bin/python scripts/reference/radar_log_loo.py
(run with numpy 2.4.6, scipy 1.17.1, statsmodels 0.15.0; the printed numbers are pasted into the test.)
"""
import numpy as np
import statsmodels.api as sm

m = np.array([3.1, 4.5, 5.0, 6.2, 7.7, 8.1, 9.4, 10.0, 11.3, 12.8, 13.5, 15.2])
c = np.array([22, 18, 25, 15, 20, 17, 24, 12, 19, 16, 21, 14], dtype=float)
y = np.array([14.2, 17.9, 16.5, 24.1, 25.0, 30.2, 27.8, 41.0, 38.5, 52.3, 49.9, 70.4])


def offset(y):
    return 0.0 if (y > 0).all() else y[y > 0].min() / 2


def loo(y, areas):
    off = offset(y)
    ly = np.log(y + off)
    X = sm.add_constant(np.column_stack([m, c]))
    full = sm.OLS(ly, X).fit()
    print(f"offset {off!r}, full-fit coefficients {full.params.tolist()!r}, R2 {full.rsquared!r}")
    for i in areas:
        keep = np.arange(len(y)) != i
        fit = sm.OLS(ly[keep], X[keep]).fit()
        f = fit.get_prediction(X[i : i + 1]).summary_frame(alpha=0.10)
        back = lambda v: max(np.exp(v) - off, 0.0)
        print(
            f"area {i}: expected {back(f['mean'].iloc[0])!r}, lower {back(f['obs_ci_lower'].iloc[0])!r}, "
            f"upper {back(f['obs_ci_upper'].iloc[0])!r}"
        )


print("all positive:")
loo(y, [0, 5, 11])
y0 = y.copy()
y0[2] = 0.0
print("area 2 has zero use:")
loo(y0, [2, 7])
