"""Writes into tensors (add_, x[i] = v ...), outside a graph and inside one."""
