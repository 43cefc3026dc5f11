#include <QString>
int f();
