#pragma once
// Fixture: alpha -> beta -> gamma -> alpha, a cycle the layering check must report.
#include "beta/b.h"
