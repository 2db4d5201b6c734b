// The regularized incomplete beta function I_x(a, b) and its inverse in x, in float64: the
// exact binomial confidence bounds of Clopper & Pearson (1934) are its quantiles, and the
// Student-t distribution function is one of its values. Debian's libboost-math is not a
// dependency of the project, so it is written here: the continued fraction of I_x (DLMF §8.17(v))
// evaluated by the modified Lentz method (Thompson & Barnett 1986), and a bracketed Newton
// iteration for the inverse, which never leaves [0, 1].
#pragma once

namespace cwrf {

// I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and x in [0, 1]. Throws Error on bad arguments.
double incomplete_beta(double a, double b, double x);

// log I_x(a, b), finite while I_x underflows (x → 0 with a large); −inf at x = 0.
double log_incomplete_beta(double a, double b, double x);

// The same with y = 1 − x given separately, so that a caller who knows 1 − x to full precision
// (x = ν/(ν + t²) with t² ≪ ν, in the Student-t tail) loses nothing to the subtraction.
// Requires x, y ≥ 0 and |x + y − 1| ≤ 1e-12.
double log_incomplete_beta(double a, double b, double x, double y);

// The x in [0, 1] with I_x(a, b) = p, for p in [0, 1] (0 → 0, 1 → 1). Accurate to a few ulps of x.
double inverse_incomplete_beta(double a, double b, double p);

}  // namespace cwrf
