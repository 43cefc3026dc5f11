#pragma once
#define TORCH_VERSION "1.12.1"
