// Model files: round trip, and one clear line for every kind of damage.
#include "runtime/model_file.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/atomic_file.h"
#include "util/scratch_dir_test_support.h"

namespace surrogate::runtime {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  static const util::ScratchDir scratch("surrogate_model_file_");
  return scratch.path(name);
}

ModelFile tiny_model(std::uint64_t seed = 3) {
  block::Vocabulary vocabulary({"<pad>", "<unk>", "ADD64rr", "<S>", "<D>", "<E>", "RAX", "RBX", "EFLAGS"});
  ModelFile m = random_model_file(vocabulary, 8, 2, seed);
  m.header["metadata"] = {{"cpu", "haswell"}, {"training", {{"epochs", 3}, {"mape", 0.097}}}};
  return m;
}

// The message of the error parsing `bytes` throws (fails the test if none).
std::string parse_error(const std::string& bytes) {
  try {
    parse_model_file(bytes, "m.srg");
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    EXPECT_EQ(what.rfind("m.srg: ", 0), 0u) << what;
    return what;
  }
  ADD_FAILURE() << "no error";
  return "";
}

// Replaces the JSON header and fixes the length and checksum, as a buggy writer would.
std::string with_header(const std::string& bytes, const std::string& json) {
  std::uint32_t old_length;
  std::memcpy(&old_length, bytes.data() + 12, 4);
  std::string out = bytes.substr(0, 12);
  std::uint32_t length = static_cast<std::uint32_t>(json.size());
  out.append(reinterpret_cast<const char*>(&length), 4);
  out += json;
  out += bytes.substr(16 + old_length, bytes.size() - 16 - old_length - 4);
  std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data()), out.size()));
  out.append(reinterpret_cast<const char*>(&crc), 4);
  return out;
}

std::string header_of(const std::string& bytes) {
  std::uint32_t length;
  std::memcpy(&length, bytes.data() + 12, 4);
  return bytes.substr(16, length);
}

TEST(ModelFile, RoundTripIsExact) {
  ModelFile m = tiny_model();
  std::string path = temp_path("round_trip.srg");
  write_model_file(path, m);
  ModelFile r = read_model_file(path);
  EXPECT_EQ(r.width, 8);
  EXPECT_EQ(r.depth, 2);
  EXPECT_EQ(r.vocabulary.tokens(), m.vocabulary.tokens());
  EXPECT_EQ(r.tensors, m.tensors);
  EXPECT_EQ(r.shapes, m.shapes);
  EXPECT_EQ(r.metadata(), m.header["metadata"]);
  EXPECT_EQ(r.header["output"], "exp");
  EXPECT_EQ(r.header["tensors"].size(), 5u + 4u * 2u + 2u);
  // Writing what was read gives the same bytes.
  EXPECT_EQ(serialize_model_file(r), util::read_file(path));
}

TEST(ModelFile, LayoutIsTheDocumentedOne) {
  std::string bytes = serialize_model_file(tiny_model());
  EXPECT_EQ(bytes.substr(0, 8), "SRGMODEL");
  EXPECT_EQ(bytes[8], 1);
  nlohmann::json header = nlohmann::json::parse(header_of(bytes));
  EXPECT_EQ(header["format"], "surrogate-model");
  EXPECT_EQ(header["tensors"][0]["name"], "embedding");
  EXPECT_EQ(header["tensors"][0]["shape"], nlohmann::json::array({9, 8}));
  EXPECT_EQ(header["tensors"].back()["name"], "head.bias");
  std::size_t floats = 9 * 8 + 2 * (32 * 8 * 2 + 32 * 2) + 8 + 1 + (32 * 8 * 2 + 32 * 2);
  EXPECT_EQ(bytes.size(), 16 + header_of(bytes).size() + 4 * floats + 4);
  // The first float after the header is embedding[0][0].
  float first;
  std::memcpy(&first, bytes.data() + 16 + header_of(bytes).size(), 4);
  EXPECT_EQ(first, tiny_model().tensor("embedding")[0]);
}

TEST(ModelFile, SameSeedSameBytes) {
  EXPECT_EQ(serialize_model_file(tiny_model(5)), serialize_model_file(tiny_model(5)));
  EXPECT_NE(serialize_model_file(tiny_model(5)), serialize_model_file(tiny_model(6)));
}

TEST(ModelFile, CorruptByteIsAChecksumMismatch) {
  std::string bytes = serialize_model_file(tiny_model());
  for (std::size_t at : {bytes.size() / 2, bytes.size() - 6, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 0x10;
    EXPECT_EQ(parse_error(bad), "m.srg: checksum mismatch (file corrupt)") << "byte " << at;
  }
  // A flipped byte inside the JSON header, too.
  std::string bad = bytes;
  bad[20] ^= 0x7f;
  EXPECT_EQ(parse_error(bad), "m.srg: checksum mismatch (file corrupt)");
}

TEST(ModelFile, TruncatedFileNamesTheByteAndPart) {
  std::string bytes = serialize_model_file(tiny_model());
  EXPECT_EQ(parse_error(bytes.substr(0, bytes.size() - 5)),
            "m.srg: truncated at byte " + std::to_string(bytes.size() - 5) + " (tensor head.bias)");
  EXPECT_EQ(parse_error(bytes.substr(0, bytes.size() - 2)),
            "m.srg: truncated at byte " + std::to_string(bytes.size() - 2) + " (checksum)");
  EXPECT_EQ(parse_error(bytes.substr(0, 30)),
            "m.srg: truncated at byte 30 (JSON header of " + std::to_string(header_of(bytes).size()) + " bytes)");
  EXPECT_EQ(parse_error(bytes.substr(0, 4)), "m.srg: truncated at byte 4 (magic)");
  EXPECT_NE(parse_error("").find("truncated at byte 0"), std::string::npos);
  // Every cut is a clear error.
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_NE(parse_error(bytes.substr(0, n)).find("truncated"), std::string::npos) << n;
  EXPECT_NE(parse_error(bytes + "xy").find("2 unexpected bytes after the checksum"), std::string::npos);
}

TEST(ModelFile, BadMagicAndVersion) {
  std::string bytes = serialize_model_file(tiny_model());
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_EQ(parse_error(bad), "m.srg: not a surrogate model file (bad magic; expected \"SRGMODEL\")");
  EXPECT_EQ(parse_error("hex,throughput\n4801d8,100\n"),
            "m.srg: not a surrogate model file (bad magic; expected \"SRGMODEL\")");
  bad = bytes;
  bad[8] = 2;
  EXPECT_EQ(parse_error(bad), "m.srg: unsupported model format version 2 (this build reads version 1)");
}

TEST(ModelFile, BadHeaderIsNamed) {
  std::string bytes = serialize_model_file(tiny_model());
  nlohmann::json header = nlohmann::json::parse(header_of(bytes));
  EXPECT_NE(parse_error(with_header(bytes, "{\"format\": ")).find("bad JSON header at byte"), std::string::npos);

  nlohmann::json h = header;
  h["tensors"][1]["shape"] = {32, 9};
  h["tensors"][2]["shape"] = {32, 7};
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())),
            "m.srg: tensor token_lstm.weight_ih has shape [32,9], expected [32,8] (width 8, depth 2, vocabulary 9)");

  h = header;
  h["depth"] = 3;
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())), "m.srg: tensor instruction_lstm.weight_ih_l2 is missing");

  h = header;
  h["output"] = "identity";
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())), "m.srg: header: \"output\" must be \"exp\" (is \"identity\")");

  h = header;
  EXPECT_EQ(h["architecture"], "x86-64");
  EXPECT_EQ(h["frontend"], "llvm19-x86-tokens");
  h["architecture"] = "aarch64";
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())),
            "m.srg: header: \"architecture\" must be \"x86-64\" (is \"aarch64\")");
  h = header;
  h["frontend"] = "granite-graph";
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())),
            "m.srg: header: \"frontend\" must be \"llvm19-x86-tokens\", \"llvm19-x86-dependencies\" or "
            "\"llvm19-x86-dependencies-v2\" (is \"granite-graph\")");
  // A model of the dependency frontend needs W + F inputs to its first
  // instruction-LSTM layer: a token model's tensors do not fit it.
  h = header;
  h["frontend"] = "llvm19-x86-dependencies";
  EXPECT_NE(parse_error(with_header(bytes, h.dump())).find("instruction_lstm.weight_ih_l0"), std::string::npos);
  h = header;  // files written before these fields existed
  h.erase("architecture");
  h.erase("frontend");
  EXPECT_NO_THROW(parse_model_file(with_header(bytes, h.dump()), "m.srg"));

  h = header;
  h["vocabulary"][0] = "x";
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())), "m.srg: header: vocabulary must start with <pad>, <unk>");

  h = header;
  h.erase("width");
  EXPECT_NE(parse_error(with_header(bytes, h.dump())).find("\"width\" must be an integer"), std::string::npos);

  h = header;
  h["tensors"][0]["name"] = "embeddings";
  EXPECT_EQ(parse_error(with_header(bytes, h.dump())), "m.srg: tensor embedding is missing");
}

TEST(ModelFile, UnreadableFileIsNamed) {
  try {
    read_model_file(temp_path("does-not-exist.srg"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does-not-exist.srg: cannot open"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, WriterRefusesInconsistentModels) {
  ModelFile m = tiny_model();
  m.tensors["head.bias"].push_back(1.0f);
  EXPECT_THROW(serialize_model_file(m), std::runtime_error);
  m = tiny_model();
  m.tensors.erase("embedding");
  EXPECT_THROW(serialize_model_file(m), std::runtime_error);
  m = tiny_model();
  m.tensors["head.weight"][3] = std::nanf("");
  EXPECT_THROW(serialize_model_file(m), std::runtime_error);
  // A failed write leaves nothing behind.
  std::string path = temp_path("refused.srg");
  EXPECT_THROW(write_model_file(path, m), std::runtime_error);
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace surrogate::runtime
