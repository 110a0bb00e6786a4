"""VampNet, ported: masked-token in-painting of music (sees both sides of the gap).

Our own implementation on today's torch that loads the official checkpoints (`hugggof/vampnet`)
and reproduces the original code's numbers (see tests/test_vampnet_*.py).
"""
