#include "nn/export.h"

#include <stdexcept>

namespace surrogate::nn {

runtime::ModelFile export_model(HierarchicalLstm& model, const Vocabulary& vocabulary, const nlohmann::json& metadata) {
  const LstmShape& shape = model->shape();
  if (shape.instruction_params != 0 || shape.global_params != 0)
    throw std::invalid_argument("a parameter-conditioned model cannot be exported to the runtime");
  if (shape.vocabulary != static_cast<std::int64_t>(vocabulary.size()))
    throw std::invalid_argument("the model's vocabulary size differs from the vocabulary's");
  runtime::ModelFile file;
  file.vocabulary = vocabulary;
  file.width = static_cast<int>(shape.width);
  file.depth = static_cast<int>(shape.depth);
  file.header = {{"metadata", metadata}};
  // runtime name -> LibTorch parameter name
  std::map<std::string, std::string> names = {
      {"embedding", "embedding.weight"},
      {"token_lstm.weight_ih", "token_lstm.weight_ih_l0"},
      {"token_lstm.weight_hh", "token_lstm.weight_hh_l0"},
      {"token_lstm.bias_ih", "token_lstm.bias_ih_l0"},
      {"token_lstm.bias_hh", "token_lstm.bias_hh_l0"},
      {"head.weight", "head.weight"},
      {"head.bias", "head.bias"}};
  for (int k = 0; k < file.depth; ++k)
    for (const char* t : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
      std::string n = std::string("instruction_lstm.") + t + "_l" + std::to_string(k);
      names[n] = n;
    }
  auto params = model->named_parameters();
  for (const runtime::TensorSpec& spec : runtime::model_tensor_specs(file.width, file.depth, vocabulary.size())) {
    torch::Tensor t = params[names.at(spec.name)].detach().to(torch::kFloat32).contiguous();
    if (t.sizes().vec() != spec.shape) throw std::logic_error("export: unexpected shape of " + spec.name);
    file.tensors[spec.name].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    file.shapes[spec.name] = spec.shape;
  }
  return file;
}

}  // namespace surrogate::nn
