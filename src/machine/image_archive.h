/*
 * machine/image_archive.h: the check `minilaunch image load` makes before
 * it sends a byte to a Docker daemon: that a file is a whole `docker save`
 * archive. dockerd reads an archive as it arrives and keeps what it could
 * read of a damaged one, so a truncated file must never reach it.
 *
 * An archive passes when libarchive reads it to the end as a tar (plain,
 * or gzip, bzip2 or xz compressed, as dockerd accepts), every entry's data
 * whole, up to the tar end marker (a file cut at a block boundary reads as
 * a shorter tar everywhere else, dockerd included); and when it holds
 * either manifest.json (a JSON array of {Config, Layers, RepoTags}) with
 * every file that it names, or a legacy repositories file ({repository:
 * {tag: id}}) with ID/json and ID/layer.tar of every id. A named file may
 * be a symbolic link to another entry of the archive (docker save links
 * layers that images share).
 */
#ifndef ML_IMAGE_ARCHIVE_H
#define ML_IMAGE_ARCHIVE_H

/*
 * Reads the archive open on fd from its start (fd is left at an unknown
 * offset) and checks it as above. name is how messages call it, quoted by
 * the caller when it is a path ("'app.tar'", "standard input"). On success
 * returns 0 and, when ret_images is not NULL, the image names the archive
 * carries (RepoTags, or the legacy repository:tag pairs), ", "-separated,
 * "" when it has none (caller frees). Else -EINVAL (not a tar, a damaged
 * or truncated one, a manifest that does not parse or names a missing
 * file) or -errno of a read, with a one-line message naming name and what
 * is wrong.
 */
int ml_image_archive_check(int fd, const char *name, char **ret_images);

#endif
