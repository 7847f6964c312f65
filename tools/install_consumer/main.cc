// A program outside the tree: predicts one block with the installed library.
#include <surrogate/surrogate_runtime.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  surrogate::runtime::Surrogate model(argv[1]);
  std::printf("%s %.2f\n", model.cpu().c_str(), model.predict_hex(argv[2]));
}
