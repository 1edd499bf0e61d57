package io.tlssessioncache.netty.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** glibc's {@code mallinfo2()}: bytes malloc has handed out and not got back (OpenSSL allocates with malloc). */
public final class NativeHeap {
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            JAVA_LONG.withName("arena"), JAVA_LONG.withName("ordblks"), JAVA_LONG.withName("smblks"),
            JAVA_LONG.withName("hblks"), JAVA_LONG.withName("hblkhd"), JAVA_LONG.withName("usmblks"),
            JAVA_LONG.withName("fsmblks"), JAVA_LONG.withName("uordblks"), JAVA_LONG.withName("fordblks"),
            JAVA_LONG.withName("keepcost"));
    private static final MethodHandle MALLINFO2_FN;

    static {
        Linker linker = Linker.nativeLinker();
        MALLINFO2_FN = linker.defaultLookup().find("mallinfo2")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(MALLINFO2)))
                .orElse(null);
    }

    private NativeHeap() {
    }

    /** In-use bytes (small blocks + mmapped blocks), or -1 without glibc 2.33+. */
    public static long inUseBytes() {
        if (MALLINFO2_FN == null) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) MALLINFO2_FN.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            return info.get(JAVA_LONG, MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("uordblks")))
                    + info.get(JAVA_LONG, MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("hblkhd")));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
