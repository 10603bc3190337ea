"""The on-disk format: chunk layout, index, serializers, codecs, compression, checksums and item loaders."""
