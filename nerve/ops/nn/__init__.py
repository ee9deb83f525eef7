"""The layers' ops: activations, dropout, linear, convolution, pooling, resizing,
normalization, recurrent cells, attention and losses."""
