// Precompiled for learner files that include the whole of <torch/torch.h>.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <numeric>
#include <vector>
