"""File-system blocks at the import path Prefect uses (``prefect.filesystems``)."""

from headwater.blocks.filesystems import LocalFileSystem, RemoteFileSystem, WritableFileSystem

__all__ = ["LocalFileSystem", "RemoteFileSystem", "WritableFileSystem"]
