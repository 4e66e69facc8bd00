"""Model builders. Layers get readable names (fc1, fc2, out…) so gradient panels can label them."""
