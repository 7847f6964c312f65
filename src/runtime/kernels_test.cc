// Kernels: every instruction set computes the affine map and the LSTM cell,
// and the batched map is bit-identical to the single one.
#include "runtime/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace surrogate::runtime {
namespace {

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) isas.push_back(isa);
  return isas;
}

FloatBuffer random_buffer(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> u(-scale, scale);
  FloatBuffer b(n);
  for (float& x : b) x = u(rng);
  return b;
}

TEST(Kernels, AffineMatchesReferenceAndBatchIsBitIdentical) {
  std::mt19937 rng(5);
  for (Isa isa : supported_isas()) {
    const Kernels& k = kernels_for(isa);
    for (std::size_t outputs : {16u, 32u, 160u, 256u, 1024u}) {
      for (std::size_t inputs : {1u, 5u, 64u, 128u}) {
        FloatBuffer w = random_buffer(inputs * outputs, rng, 0.2f);
        FloatBuffer x[kMaxBatch], bias[kMaxBatch], y[kMaxBatch], single(outputs);
        const float* xs[kMaxBatch];
        const float* bs[kMaxBatch];
        float* ys[kMaxBatch];
        for (std::size_t b = 0; b < kMaxBatch; ++b) {
          x[b] = random_buffer(inputs, rng);
          bias[b] = random_buffer(outputs, rng);
          y[b].assign(outputs, 0.0f);
          xs[b] = x[b].data();
          bs[b] = bias[b].data();
          ys[b] = y[b].data();
        }
        for (std::size_t count = 1; count <= kMaxBatch; ++count) {
          k.affine_batch(w.data(), inputs, outputs, count, xs, bs, ys);
          for (std::size_t b = 0; b < count; ++b) {
            k.affine(w.data(), inputs, outputs, xs[b], bs[b], single.data());
            ASSERT_EQ(std::vector<float>(single.begin(), single.end()), std::vector<float>(y[b].begin(), y[b].end()))
                << isa_name(isa) << " outputs " << outputs << " inputs " << inputs << " count " << count;
            for (std::size_t o = 0; o < outputs; ++o) {
              double want = bias[b][o];
              for (std::size_t j = 0; j < inputs; ++j) want += static_cast<double>(x[b][j]) * w[j * outputs + o];
              ASSERT_NEAR(single[o], want, 1e-5) << isa_name(isa);
            }
          }
        }
      }
    }
  }
}

TEST(Kernels, LstmCellIsAccurate) {
  std::mt19937 rng(6);
  for (Isa isa : supported_isas()) {
    for (std::size_t width : {1u, 7u, 8u, 64u, 67u}) {
      // Preactivations from tiny to saturating.
      FloatBuffer gates = random_buffer(4 * width, rng, 30.0f);
      for (std::size_t j = 0; j < gates.size(); j += 3) gates[j] *= 1e-4f;
      FloatBuffer c = random_buffer(width, rng, 3.0f), h(width);
      std::vector<double> c0(c.begin(), c.end());
      kernels_for(isa).lstm_cell(gates.data(), width, c.data(), h.data());
      auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
      for (std::size_t j = 0; j < width; ++j) {
        double cj = sigmoid(gates[width + j]) * c0[j] + sigmoid(gates[j]) * std::tanh(gates[2 * width + j]);
        double hj = sigmoid(gates[3 * width + j]) * std::tanh(cj);
        EXPECT_NEAR(c[j], cj, 1e-6 * std::max(1.0, std::fabs(cj))) << isa_name(isa) << " width " << width;
        // c's float sum (terms up to ~4) rounds at ~5e-7; h inherits that absolute error.
        EXPECT_NEAR(h[j], hj, 1e-6) << isa_name(isa) << " width " << width;
      }
    }
  }
}

}  // namespace
}  // namespace surrogate::runtime
