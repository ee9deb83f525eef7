"""The strong-Wolfe line search used by L-BFGS (Nocedal & Wright, Numerical
Optimization, algorithms 3.5 and 3.6): bracket a step that lowers the loss enough,
then zoom in on it by cubic interpolation."""

from __future__ import annotations

from collections.abc import Callable

from nerve.backend import array_module


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    r"""The minimiser, clipped to ``bounds`` (default [x1, x2]), of the cubic through
    (x1, f1) and (x2, f2) with slopes g1, g2:

        d₁ = g₁ + g₂ − 3 (f₁ − f₂)/(x₁ − x₂),   d₂ = √(d₁² − g₁g₂)
        x = x₂ − (x₂ − x₁) (g₂ + d₂ − d₁) / (g₂ − g₁ + 2d₂)

    or the middle of the bounds when the cubic has no minimum (d₁² < g₁g₂).
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (xmin_bound + xmax_bound) / 2.0
    d2 = array_module(d2_square).sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, xmin_bound), xmax_bound)


def strong_wolfe(
    obj_func: Callable,
    x,
    t,
    d,
    f: float,
    g,
    gtd,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
):
    """A step t along d satisfying the strong Wolfe conditions

        f(x + t d) ≤ f + c₁ t gᵀd   (sufficient decrease),   |∇f(x + t d)ᵀd| ≤ −c₂ gᵀd

    ``obj_func(x, t, d)`` returns the loss and flat gradient at x + t d. Returns
    ``(loss, flat_grad, t, evaluations)`` at the chosen step."""
    d_norm = abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate: the next trial lies between 1.01 t and 10 t
        min_step = t + 0.01 * (t - t_prev)
        t_next = cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, t * 10)
        )
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    brackets = (bracket, bracket_f, bracket_g, bracket_gtd)
    low_pos, zoom_evals = _zoom(
        obj_func, x, d, f, gtd, brackets, done, ls_iter, d_norm, c1, c2, tolerance_change, max_ls
    )
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], evals + zoom_evals


def _zoom(
    obj_func, x, d, f, gtd, brackets, done, ls_iter, d_norm, c1, c2, tolerance_change, max_ls
):
    """Shrink the bracket [a, b] (in place) around a strong-Wolfe step; returns the
    position of its low end and the number of evaluations."""
    bracket, bracket_f, bracket_g, bracket_gtd = brackets
    evals = 0
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        t, insuf_progress = _keep_off_the_ends(t, bracket, insuf_progress)
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
            continue
        if abs(gtd_new) <= -c2 * gtd:
            done = True
        elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
            bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
            bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
        bracket[low_pos], bracket_f[low_pos] = t, f_new
        bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return low_pos, evals


def _keep_off_the_ends(t, bracket, insuf_progress):
    """A trial within 10 % of the bracket's width from an end makes little progress:
    the second time in a row (or outside the bracket) move it to 10 % inside."""
    hi, lo = max(bracket), min(bracket)
    eps = 0.1 * (hi - lo)
    if min(hi - t, t - lo) >= eps:
        return t, False
    if insuf_progress or t >= hi or t <= lo:
        t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
        return t, False
    return t, True
