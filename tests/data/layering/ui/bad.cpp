#include <torch/torch.h>
int g();
