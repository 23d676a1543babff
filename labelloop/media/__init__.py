"""Reading media files: sizes, frame counts and frames of images and videos."""
