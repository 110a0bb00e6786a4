"""Short synthetic signals for the tests."""

import numpy as np

from workbench import Audio


def sine(freq=440.0, duration=1.0, sample_rate=32000, amplitude=0.5, channels=1, phase=0.0):
    t = np.arange(int(round(duration * sample_rate))) / sample_rate
    wave = (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)
    return Audio(np.tile(wave, (channels, 1)), sample_rate)
