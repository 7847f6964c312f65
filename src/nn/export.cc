#include "nn/export.h"

#include <map>
#include <stdexcept>
#include <string>

#include "runtime/frontend.h"

namespace surrogate::nn {

namespace {
// runtime tensor name -> LibTorch parameter name
std::map<std::string, std::string> parameter_names(int depth) {
  std::map<std::string, std::string> names = {{"embedding", "embedding.weight"},
                                              {"token_lstm.weight_ih", "token_lstm.weight_ih_l0"},
                                              {"token_lstm.weight_hh", "token_lstm.weight_hh_l0"},
                                              {"token_lstm.bias_ih", "token_lstm.bias_ih_l0"},
                                              {"token_lstm.bias_hh", "token_lstm.bias_hh_l0"},
                                              {"head.weight", "head.weight"},
                                              {"head.bias", "head.bias"}};
  for (int k = 0; k < depth; ++k)
    for (const char* t : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
      std::string n = std::string("instruction_lstm.") + t + "_l" + std::to_string(k);
      names[n] = n;
    }
  return names;
}
}  // namespace

runtime::ModelFile export_model(HierarchicalLstm& model, const block::Vocabulary& vocabulary,
                                const nlohmann::json& metadata, std::string_view frontend) {
  const LstmShape& shape = model->shape();
  if (shape.instruction_params != 0 || shape.global_params != 0)
    throw std::invalid_argument("a parameter-conditioned model cannot be exported to the runtime");
  if (shape.vocabulary != static_cast<std::int64_t>(vocabulary.size()))
    throw std::invalid_argument("the model's vocabulary size differs from the vocabulary's");
  runtime::ModelFile file;
  file.vocabulary = vocabulary;
  file.width = static_cast<int>(shape.width);
  file.depth = static_cast<int>(shape.depth);
  file.frontend = frontend;
  if (runtime::frontend_features(frontend) != shape.instruction_features)
    throw std::invalid_argument("the model's instruction features are not those of frontend '" + file.frontend + "'");
  file.header = {{"metadata", metadata}};
  const std::map<std::string, std::string> names = parameter_names(file.depth);
  auto params = model->named_parameters();
  for (const runtime::TensorSpec& spec :
       runtime::model_tensor_specs(file.width, file.depth, vocabulary.size(), file.features())) {
    torch::Tensor t = params[names.at(spec.name)].detach().to(torch::kFloat32).contiguous();
    if (t.sizes().vec() != spec.shape) throw std::logic_error("export: unexpected shape of " + spec.name);
    file.tensors[spec.name].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    file.shapes[spec.name] = spec.shape;
  }
  return file;
}

void import_model(HierarchicalLstm& model, const runtime::ModelFile& file) {
  const LstmShape& shape = model->shape();
  if (shape.instruction_params != 0 || shape.global_params != 0)
    throw std::invalid_argument("a parameter-conditioned model cannot take an exported model's weights");
  if (shape.vocabulary != static_cast<std::int64_t>(file.vocabulary.size()) || shape.width != file.width ||
      shape.depth != file.depth || shape.instruction_features != file.features())
    throw std::invalid_argument("the model's shape differs from the exported model's (vocabulary " +
                                std::to_string(file.vocabulary.size()) + ", width " + std::to_string(file.width) +
                                ", depth " + std::to_string(file.depth) + ", frontend " + file.frontend + ")");
  const std::map<std::string, std::string> names = parameter_names(file.depth);
  auto params = model->named_parameters();
  torch::NoGradGuard no_grad;
  for (const runtime::TensorSpec& spec :
       runtime::model_tensor_specs(file.width, file.depth, file.vocabulary.size(), file.features())) {
    torch::Tensor p = params[names.at(spec.name)];
    const std::vector<float>& v = file.tensors.at(spec.name);
    if (static_cast<std::int64_t>(v.size()) != p.numel())
      throw std::logic_error("import: unexpected size of " + spec.name);
    p.copy_(torch::from_blob(const_cast<float*>(v.data()), p.sizes(), torch::kFloat32).to(p.dtype()));
  }
}

}  // namespace surrogate::nn
