package org.gaq.cli;

import org.gaq.run.RunStoppedException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The sentence a user sees for a failure that is theirs to fix, or null for a bug (which keeps its stack trace).
 * The JDK's file-system exceptions carry only the path as their message ("model.safetensors"): say what
 * is wrong with it.
 */
final class UserMessages {
    private UserMessages() {}

    static String of(Throwable ex) {
        if (ex instanceof RunStoppedException) return ex.getMessage();
        if (ex instanceof FileSystemException fs && fs.getReason() == null) return fileProblem(fs);
        if (ex instanceof IOException || ex instanceof IllegalArgumentException) {
            return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        }
        return null;
    }

    private static String fileProblem(FileSystemException e) {
        String file = e.getFile();
        return switch (e) {
            case NoSuchFileException x -> "no such file or folder: " + file;
            case AccessDeniedException x -> "permission denied: " + file;
            case FileAlreadyExistsException x -> file + " already exists and is in the way (a file where a folder should be, or the reverse)";
            case NotDirectoryException x -> file + " is not a folder";
            case DirectoryNotEmptyException x -> "folder " + file + " is not empty";
            default -> file + ": " + e.getClass().getSimpleName();
        };
    }
}
