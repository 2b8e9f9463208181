// Seen by the judge's first, fast compile in place of the real <torch/torch.h>: the precompiled subset of
// LibTorch that the exercises use. A file that needs more fails that compile and is compiled again against
// the real header, so the shortcut never changes a verdict, only how long a compile takes.
#pragma once
#include "../../lite.h"
