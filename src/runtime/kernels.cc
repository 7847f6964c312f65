#include "runtime/kernels.h"

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

// The register-blocked loops below (`#pragma GCC unroll`) must be unrolled
// completely: GCC 12 at -O2 left them rolled, with the accumulators in memory,
// and the W = 32 map of four blocks ran at 600 instead of ~250 cycles a block.

namespace surrogate::runtime {

namespace {

// ---- scalar: plain loops, libm's expf/tanhf ----

void affine_scalar(const float* w, std::size_t inputs, std::size_t outputs, const float* x, const float* bias,
                   float* y) {
  for (std::size_t o = 0; o < outputs; ++o) y[o] = bias[o];
  for (std::size_t j = 0; j < inputs; ++j) {
    const float xj = x[j];
    const float* row = w + j * outputs;
    for (std::size_t o = 0; o < outputs; ++o) y[o] += xj * row[o];
  }
}

void affine_batch_scalar(const float* w, std::size_t inputs, std::size_t outputs, std::size_t count,
                         const float* const* x, const float* const* bias, float* const* y) {
  for (std::size_t b = 0; b < count; ++b) affine_scalar(w, inputs, outputs, x[b], bias[b], y[b]);
}

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

inline void cell_scalar_range(const float* gates, std::size_t width, std::size_t from, float* c, float* h) {
  const float* gi = gates;
  const float* gf = gates + width;
  const float* gg = gates + 2 * width;
  const float* go = gates + 3 * width;
  for (std::size_t j = from; j < width; ++j) {
    c[j] = sigmoid(gf[j]) * c[j] + sigmoid(gi[j]) * std::tanh(gg[j]);
    h[j] = sigmoid(go[j]) * std::tanh(c[j]);
  }
}

void lstm_cell_scalar(const float* gates, std::size_t width, float* c, float* h) {
  cell_scalar_range(gates, width, 0, c, h);
}

// ---- AVX2 + FMA ----

#define SURROGATE_AVX2 __attribute__((target("avx2,fma")))

// exp(x), Cephes' expf: range reduction by ln 2 in two parts, degree-5
// polynomial; relative error ~1e-7 over [-87, 88] (clamped outside).
SURROGATE_AVX2 inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// 1 / d for normal d > 0: the 12-bit approximate reciprocal and one Newton step,
// relative error ~2e-7 (a division costs several times more).
SURROGATE_AVX2 inline __m256 reciprocal_avx2(__m256 d) {
  __m256 r = _mm256_rcp_ps(d);
  return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

SURROGATE_AVX2 inline __m256 sigmoid_avx2(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return reciprocal_avx2(_mm256_add_ps(one, exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh(x) as the 13/6-degree rational interpolant Eigen uses
// (generic_fast_tanh_float): x P(x^2) / Q(x^2) on x clamped to [-9, 9]. Odd,
// so relative accuracy holds near 0; measured against double tanh over
// [-12, 12]: relative error <= 3.3e-7. One reciprocal and 11 multiply-adds,
// about half the cost of an exp-based tanh with a small-argument branch.
// Coefficients, highest power first: numerator in x^2 (times x), denominator in x^2.
constexpr float kTanhNumerator[] = {-2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f,
                                    5.12229709037114e-08f,  1.48572235717979e-05f, 6.37261928875436e-04f,
                                    4.89352455891786e-03f};
constexpr float kTanhDenominator[] = {1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f,
                                      4.89352518554385e-03f};

SURROGATE_AVX2 inline __m256 tanh_avx2(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(9.0f)), _mm256_set1_ps(-9.0f));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(kTanhNumerator[0]);
#pragma GCC unroll 8
  for (int k = 1; k < 7; ++k) p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kTanhNumerator[k]));
  __m256 q = _mm256_set1_ps(kTanhDenominator[0]);
#pragma GCC unroll 8
  for (int k = 1; k < 4; ++k) q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(kTanhDenominator[k]));
  return _mm256_mul_ps(_mm256_mul_ps(p, x), reciprocal_avx2(q));
}

// Columns [from, width) of the cell (from: where a wider kernel stopped).
SURROGATE_AVX2 void lstm_cell_avx2(const float* gates, std::size_t width, float* c, float* h, std::size_t from) {
  const float* gi = gates;
  const float* gf = gates + width;
  const float* gg = gates + 2 * width;
  const float* go = gates + 3 * width;
  std::size_t j = from;
  for (; j + 8 <= width; j += 8) {
    __m256 i = sigmoid_avx2(_mm256_loadu_ps(gi + j));
    __m256 f = sigmoid_avx2(_mm256_loadu_ps(gf + j));
    __m256 g = tanh_avx2(_mm256_loadu_ps(gg + j));
    __m256 o = sigmoid_avx2(_mm256_loadu_ps(go + j));
    __m256 cj = _mm256_fmadd_ps(f, _mm256_loadu_ps(c + j), _mm256_mul_ps(i, g));
    _mm256_storeu_ps(c + j, cj);
    _mm256_storeu_ps(h + j, _mm256_mul_ps(o, tanh_avx2(cj)));
  }
  cell_scalar_range(gates, width, j, c, h);
}

SURROGATE_AVX2 void lstm_cell_avx2(const float* gates, std::size_t width, float* c, float* h) {
  lstm_cell_avx2(gates, width, c, h, 0);
}

// Outputs in tiles of 64 (8 accumulators in flight), then of 16.
SURROGATE_AVX2 void affine_avx2(const float* w, std::size_t inputs, std::size_t outputs, const float* x,
                                const float* bias, float* y) {
  std::size_t o = 0;
  for (; o + 64 <= outputs; o += 64) {
    __m256 a[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) a[k] = _mm256_loadu_ps(bias + o + 8 * k);
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs) {
      __m256 xj = _mm256_broadcast_ss(x + j);
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) a[k] = _mm256_fmadd_ps(xj, _mm256_loadu_ps(row + 8 * k), a[k]);
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) _mm256_storeu_ps(y + o + 8 * k, a[k]);
  }
  for (; o < outputs; o += 16) {
    __m256 a0 = _mm256_loadu_ps(bias + o), a1 = _mm256_loadu_ps(bias + o + 8);
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs) {
      __m256 xj = _mm256_broadcast_ss(x + j);
      a0 = _mm256_fmadd_ps(xj, _mm256_loadu_ps(row), a0);
      a1 = _mm256_fmadd_ps(xj, _mm256_loadu_ps(row + 8), a1);
    }
    _mm256_storeu_ps(y + o, a0);
    _mm256_storeu_ps(y + o + 8, a1);
  }
}

// N inputs, outputs in tiles of 16 (2 x 8): 2 N accumulators, each weight
// load used N times.
template <int N>
SURROGATE_AVX2 void affine_batch_avx2_n(const float* w, std::size_t inputs, std::size_t outputs, const float* const* x,
                                        const float* const* bias, float* const* y) {
  for (std::size_t o = 0; o < outputs; o += 16) {
    __m256 a[N][2];
#pragma GCC unroll 8
    for (int b = 0; b < N; ++b) {
      a[b][0] = _mm256_loadu_ps(bias[b] + o);
      a[b][1] = _mm256_loadu_ps(bias[b] + o + 8);
    }
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs) {
      __m256 w0 = _mm256_loadu_ps(row), w1 = _mm256_loadu_ps(row + 8);
#pragma GCC unroll 8
      for (int b = 0; b < N; ++b) {
        __m256 xj = _mm256_broadcast_ss(x[b] + j);
        a[b][0] = _mm256_fmadd_ps(xj, w0, a[b][0]);
        a[b][1] = _mm256_fmadd_ps(xj, w1, a[b][1]);
      }
    }
#pragma GCC unroll 8
    for (int b = 0; b < N; ++b) {
      _mm256_storeu_ps(y[b] + o, a[b][0]);
      _mm256_storeu_ps(y[b] + o + 8, a[b][1]);
    }
  }
}

SURROGATE_AVX2 void affine_batch_avx2(const float* w, std::size_t inputs, std::size_t outputs, std::size_t count,
                                      const float* const* x, const float* const* bias, float* const* y) {
  switch (count) {
    case 1:
      return affine_avx2(w, inputs, outputs, x[0], bias[0], y[0]);
    case 2:
      return affine_batch_avx2_n<2>(w, inputs, outputs, x, bias, y);
    case 3:
      return affine_batch_avx2_n<3>(w, inputs, outputs, x, bias, y);
    default:  // kMaxBatch
      return affine_batch_avx2_n<4>(w, inputs, outputs, x, bias, y);
  }
}

// ---- AVX-512 (F): the affine map in tiles of 128, then 16; the cell 16 wide ----

#define SURROGATE_AVX512 __attribute__((target("avx512f,avx2,fma")))

// The all-lanes mask: the maskz_ forms below are the plain intrinsics (whose
// GCC 12 headers warn of an uninitialised operand).
constexpr __mmask16 kAllLanes = 0xFFFF;

// exp(x) as exp_avx2, the power of two applied by scalef.
SURROGATE_AVX512 inline __m512 exp_avx512(__m512 x) {
  x = _mm512_maskz_min_ps(kAllLanes, _mm512_maskz_max_ps(kAllLanes, x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  __m512 n = _mm512_maskz_roundscale_ps(kAllLanes, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), x);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(x, x), _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_scalef_ps(kAllLanes, p, n);
}

// 1 / d for normal d > 0: the 14-bit approximate reciprocal and one Newton step
// (relative error ~1e-7).
SURROGATE_AVX512 inline __m512 reciprocal_avx512(__m512 d) {
  __m512 r = _mm512_maskz_rcp14_ps(kAllLanes, d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

SURROGATE_AVX512 inline __m512 sigmoid_avx512(__m512 x) {
  return reciprocal_avx512(_mm512_add_ps(_mm512_set1_ps(1.0f), exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// tanh(x) as tanh_avx2.
SURROGATE_AVX512 inline __m512 tanh_avx512(__m512 x) {
  x = _mm512_maskz_max_ps(kAllLanes, _mm512_maskz_min_ps(kAllLanes, x, _mm512_set1_ps(9.0f)), _mm512_set1_ps(-9.0f));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(kTanhNumerator[0]);
#pragma GCC unroll 8
  for (int k = 1; k < 7; ++k) p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(kTanhNumerator[k]));
  __m512 q = _mm512_set1_ps(kTanhDenominator[0]);
#pragma GCC unroll 8
  for (int k = 1; k < 4; ++k) q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(kTanhDenominator[k]));
  return _mm512_mul_ps(_mm512_mul_ps(p, x), reciprocal_avx512(q));
}

SURROGATE_AVX512 void lstm_cell_avx512(const float* gates, std::size_t width, float* c, float* h) {
  const float* gi = gates;
  const float* gf = gates + width;
  const float* gg = gates + 2 * width;
  const float* go = gates + 3 * width;
  std::size_t j = 0;
  for (; j + 16 <= width; j += 16) {
    __m512 i = sigmoid_avx512(_mm512_loadu_ps(gi + j));
    __m512 f = sigmoid_avx512(_mm512_loadu_ps(gf + j));
    __m512 g = tanh_avx512(_mm512_loadu_ps(gg + j));
    __m512 o = sigmoid_avx512(_mm512_loadu_ps(go + j));
    __m512 cj = _mm512_fmadd_ps(f, _mm512_loadu_ps(c + j), _mm512_mul_ps(i, g));
    _mm512_storeu_ps(c + j, cj);
    _mm512_storeu_ps(h + j, _mm512_mul_ps(o, tanh_avx512(cj)));
  }
  if (j < width) lstm_cell_avx2(gates, width, c, h, j);
}

__attribute__((target("avx512f,avx2,fma"))) void affine_avx512(const float* w, std::size_t inputs, std::size_t outputs,
                                                               const float* x, const float* bias, float* y) {
  std::size_t o = 0;
  for (; o + 128 <= outputs; o += 128) {
    __m512 a[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) a[k] = _mm512_loadu_ps(bias + o + 16 * k);
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs) {
      __m512 xj = _mm512_set1_ps(x[j]);
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) a[k] = _mm512_fmadd_ps(xj, _mm512_loadu_ps(row + 16 * k), a[k]);
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) _mm512_storeu_ps(y + o + 16 * k, a[k]);
  }
  for (; o < outputs; o += 16) {
    __m512 a = _mm512_loadu_ps(bias + o);
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs)
      a = _mm512_fmadd_ps(_mm512_set1_ps(x[j]), _mm512_loadu_ps(row), a);
    _mm512_storeu_ps(y + o, a);
  }
}

// N inputs, outputs in tiles of 64 (4 x 16): 4 N accumulators.
template <int N>
__attribute__((target("avx512f,avx2,fma"))) void affine_batch_avx512_n(const float* w, std::size_t inputs,
                                                                       std::size_t outputs, const float* const* x,
                                                                       const float* const* bias, float* const* y) {
  std::size_t o = 0;
  for (; o + 64 <= outputs; o += 64) {
    __m512 a[N][4];
#pragma GCC unroll 8
    for (int b = 0; b < N; ++b)
#pragma GCC unroll 8
      for (int k = 0; k < 4; ++k) a[b][k] = _mm512_loadu_ps(bias[b] + o + 16 * k);
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs) {
      __m512 wk[4];
#pragma GCC unroll 8
      for (int k = 0; k < 4; ++k) wk[k] = _mm512_loadu_ps(row + 16 * k);
#pragma GCC unroll 8
      for (int b = 0; b < N; ++b) {
        __m512 xj = _mm512_set1_ps(x[b][j]);
#pragma GCC unroll 8
        for (int k = 0; k < 4; ++k) a[b][k] = _mm512_fmadd_ps(xj, wk[k], a[b][k]);
      }
    }
#pragma GCC unroll 8
    for (int b = 0; b < N; ++b)
#pragma GCC unroll 8
      for (int k = 0; k < 4; ++k) _mm512_storeu_ps(y[b] + o + 16 * k, a[b][k]);
  }
  for (; o < outputs; o += 16) {
    __m512 a[N];
#pragma GCC unroll 8
    for (int b = 0; b < N; ++b) a[b] = _mm512_loadu_ps(bias[b] + o);
    const float* row = w + o;
    for (std::size_t j = 0; j < inputs; ++j, row += outputs) {
      __m512 wj = _mm512_loadu_ps(row);
#pragma GCC unroll 8
      for (int b = 0; b < N; ++b) a[b] = _mm512_fmadd_ps(_mm512_set1_ps(x[b][j]), wj, a[b]);
    }
#pragma GCC unroll 8
    for (int b = 0; b < N; ++b) _mm512_storeu_ps(y[b] + o, a[b]);
  }
}

__attribute__((target("avx512f,avx2,fma"))) void affine_batch_avx512(const float* w, std::size_t inputs,
                                                                     std::size_t outputs, std::size_t count,
                                                                     const float* const* x, const float* const* bias,
                                                                     float* const* y) {
  switch (count) {
    case 1:
      return affine_avx512(w, inputs, outputs, x[0], bias[0], y[0]);
    case 2:
      return affine_batch_avx512_n<2>(w, inputs, outputs, x, bias, y);
    case 3:
      return affine_batch_avx512_n<3>(w, inputs, outputs, x, bias, y);
    default:  // kMaxBatch
      return affine_batch_avx512_n<4>(w, inputs, outputs, x, bias, y);
  }
}

const Kernels kScalar{affine_scalar, affine_batch_scalar, lstm_cell_scalar};
const Kernels kAvx2{affine_avx2, affine_batch_avx2, lstm_cell_avx2};
const Kernels kAvx512{affine_avx512, affine_batch_avx512, lstm_cell_avx512};

}  // namespace

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::kAvx512:
      return isa_supported(Isa::kAvx2) && __builtin_cpu_supports("avx512f");
  }
  return false;
}

Isa best_isa() {
  static const Isa best = isa_supported(Isa::kAvx512) ? Isa::kAvx512
                          : isa_supported(Isa::kAvx2) ? Isa::kAvx2
                                                      : Isa::kScalar;
  return best;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

const Kernels& kernels_for(Isa isa) {
  if (!isa_supported(isa)) throw std::runtime_error(std::string("this CPU lacks ") + isa_name(isa));
  switch (isa) {
    case Isa::kAvx512:
      return kAvx512;
    case Isa::kAvx2:
      return kAvx2;
    case Isa::kScalar:
      break;
  }
  return kScalar;
}

}  // namespace surrogate::runtime
