// The translation unit that builds the precompiled header the exercises' checks and bindings share.
