// Kernels: the two inner loops of LSTM inference, one implementation per
// instruction set, chosen at run time (scalar always; AVX2+FMA and AVX-512
// when the CPU has them).
//
// Weights are stored transposed and padded: a matrix mapping `inputs` values
// to `outputs` values is `inputs` rows of `outputs` floats, `outputs` a
// multiple of kOutputAlignment with the padding columns zero. Row j holds
// input j's weight to every output, so y += x[j] * row j vectorises over the
// outputs with no horizontal sums.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace surrogate::runtime {

// Outputs of every matrix are padded to a multiple of this (one AVX-512 register).
inline constexpr std::size_t kOutputAlignment = 16;
inline std::size_t padded_outputs(std::size_t n) {
  return (n + kOutputAlignment - 1) / kOutputAlignment * kOutputAlignment;
}

// Inputs that affine_batch takes at once.
inline constexpr std::size_t kMaxBatch = 4;

enum class Isa { kScalar, kAvx2, kAvx512 };

// The widest instruction set this CPU runs (AVX2 needs FMA too).
Isa best_isa();
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);

struct Kernels {
  // y[0, outputs) = bias + sum_j x[j] * weights[j * outputs + (0, outputs)].
  // outputs is a multiple of kOutputAlignment; y may not alias x or weights.
  void (*affine)(const float* weights, std::size_t inputs, std::size_t outputs, const float* x, const float* bias,
                 float* y);
  // The same map for `count` in 1..kMaxBatch inputs at once, y[b] from x[b] and
  // bias[b]: one pass over the weights (batch-1 inference is bound by
  // streaming weights from L2, not by arithmetic). Each y[b] is bit-identical
  // to affine() on x[b] alone (same operations in the same order).
  void (*affine_batch)(const float* weights, std::size_t inputs, std::size_t outputs, std::size_t count,
                       const float* const* x, const float* const* bias, float* const* y);
  // One LSTM cell step on fused gate preactivations [i | f | g | o], each
  // `width` long (PyTorch's order): c = sigmoid(f) c + sigmoid(i) tanh(g);
  // h = sigmoid(o) tanh(c). c and h are updated in place.
  void (*lstm_cell)(const float* gates, std::size_t width, float* c, float* h);
};

// Throws std::runtime_error if the CPU lacks the instruction set.
const Kernels& kernels_for(Isa isa);

// 64-byte aligned storage for weights and activations.
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const {
    return true;
  }
};
using FloatBuffer = std::vector<float, AlignedAllocator<float>>;

}  // namespace surrogate::runtime
