// The whole of <torch/torch.h>, precompiled for learner files that need more than lite.h.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <numeric>
#include <vector>
