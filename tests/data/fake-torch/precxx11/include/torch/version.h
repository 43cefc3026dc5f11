#pragma once
#define TORCH_VERSION "2.1.0"
