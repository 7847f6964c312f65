// ModelFile: an exported hierarchical-LSTM surrogate (.srg), the one file the
// LibTorch-free runtime needs. Written by the nn layer's export, read here.
//
// Layout, version 1, all little-endian:
//   8 bytes  magic "SRGMODEL"
//   u32      format version (1)
//   u32      header length H
//   H bytes  JSON header: {"format":"surrogate-model","version":1,"width":W,"depth":D,
//            "architecture":"x86-64","frontend":"llvm19-x86-tokens",
//            "vocabulary":[V tokens in id order],"output":"exp",
//            "tensors":[{"name":..,"shape":[..]},..],   (order of the data below)
//            "metadata":{..}}                             (anything; kept verbatim)
//   float32  data of each tensor in header order, row-major
//   u32      CRC-32 (zlib's crc32) of every byte before it
//
// Tensors (PyTorch's names and layouts; LSTM gates in order i, f, g, o):
//   embedding [V,W]; token_lstm.{weight_ih,weight_hh} [4W,W], token_lstm.{bias_ih,bias_hh} [4W];
//   for k < D: instruction_lstm.{weight_ih,weight_hh}_l{k} [4W,W], instruction_lstm.{bias_ih,bias_hh}_l{k} [4W];
//   head.weight [1,W]; head.bias [1].
// Predicted throughput = exp(head output), cycles per 100 iterations.
//
// What a model takes and gives is named, so that a model of other inputs
// (another ISA, another tokenizer) or another output is a new value of these
// fields, not a new file format: "architecture" (the machine code's ISA),
// "frontend" (how a block becomes token ids: LLVM 19's x86 decoder and
// block/tokenizer.h), "output" (how the head's value becomes cycles per 100
// iterations). A reader refuses values it does not implement; files written
// before the first two fields existed mean the values above.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "block/vocabulary.h"

namespace surrogate::runtime {

inline constexpr char kModelMagic[8] = {'S', 'R', 'G', 'M', 'O', 'D', 'E', 'L'};
inline constexpr std::uint32_t kModelFormatVersion = 1;
inline constexpr const char* kModelArchitecture = "x86-64";
inline constexpr const char* kModelFrontend = "llvm19-x86-tokens";
inline constexpr const char* kModelOutput = "exp";

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t size() const;  // number of elements
};

// Every tensor of a width-W, depth-D model with V tokens, in file order.
std::vector<TensorSpec> model_tensor_specs(int width, int depth, std::size_t vocabulary_size, int features = 0);

struct ModelFile {
  // The JSON header as read (write_model_file rewrites its format fields from
  // the members below and keeps everything else, "metadata" included).
  nlohmann::json header;
  block::Vocabulary vocabulary;
  int width = 0;                          // W: embedding and hidden size of both LSTMs
  int depth = 0;                          // D: instruction-LSTM layers
  std::string frontend = kModelFrontend;  // frontend.h: how a block becomes the network's input
  // F: the frontend's features per instruction (0 for token ids only); the
  // first instruction-LSTM layer reads W + F inputs.
  int features() const;
  // Row-major float32 data and shape of every tensor, by name.
  std::map<std::string, std::vector<float>> tensors;
  std::map<std::string, std::vector<std::int64_t>> shapes;

  const std::vector<float>& tensor(const std::string& name) const;  // throws std::out_of_range
  // header["metadata"], or an empty object.
  nlohmann::json metadata() const;
};

// The LLVM CPU a model imitates, e.g. "haswell": its header's metadata
// "cpu", or the -mcpu= of the command that labelled its training data
// (models of `surrogate train` name it in "labels"); "" if neither.
std::string model_cpu(const nlohmann::json& header);

// Throws std::runtime_error, one line "PATH: what is wrong [where]", on any
// fault: unreadable file, bad magic, unsupported version, bad JSON header,
// missing/unknown/misshapen tensors, truncation, trailing bytes, checksum
// mismatch, non-finite weights.
ModelFile read_model_file(const std::string& path);
// The same from the file's bytes; `name` stands for the file in messages.
ModelFile parse_model_file(const std::string& bytes, const std::string& name);

// Validates (as read_model_file would) and writes atomically. Throws
// std::runtime_error naming the path.
void write_model_file(const std::string& path, const ModelFile& model);
std::string serialize_model_file(const ModelFile& model, const std::string& name = "model");

// A model of the right shapes with seeded uniform random weights (PyTorch's
// LSTM init range, +-1/sqrt(W)); the head bias is log(100), so predictions
// start near 100 cycles per 100 iterations. For tests and benchmarks; same
// seed, same bytes.
ModelFile random_model_file(const block::Vocabulary& vocabulary, int width, int depth, std::uint64_t seed,
                            const std::string& frontend = kModelFrontend);

}  // namespace surrogate::runtime
