"""pathspace: the path-space statistical physics of world models."""
