#include "alpha/a.h"
int h();
