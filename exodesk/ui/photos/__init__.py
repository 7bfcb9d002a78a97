"""Clinical photos on screen: the compare view, the camera capture dialog, the rating chart."""
