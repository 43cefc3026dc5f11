#pragma once
#include "gamma/c.h"
