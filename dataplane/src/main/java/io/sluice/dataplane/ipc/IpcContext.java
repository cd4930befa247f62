package io.sluice.dataplane.ipc;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Where the control process and the dataplane meet: an Aeron directory, a media driver (embedded
 * in the dataplane by default, or an external one), an Aeron client, and the three streams
 * (program, events, inject) on one IPC channel. Configure, {@link #start()}, make proxies and
 * adapters, {@link #close()}.
 * <pre>
 *  dataplane:  new IpcContext().start()                          embedded driver, owns the directory
 *  control:    new IpcContext().embeddedDriver(false).start()    joins the dataplane's driver
 * </pre>
 * The Aeron directory holds the log buffers, keys in flight included, so it is for the gateway's
 * user only: its parent is created 0700 when missing (the driver deletes and re-creates the
 * directory itself at start, with the default permissions, so the parent is what closes that
 * gap), and the directory is set to 0700 once the driver has made it. Closing the embedded driver
 * deletes the directory, and the parent if this context created it.
 * <p>
 * System properties: {@value #DIR_PROP} (the Aeron directory), {@value #EMBEDDED_PROP}
 * (true/false). Two gateways on one host need two directories.
 */
public final class IpcContext implements AutoCloseable
{
    public static final int PROGRAM_STREAM_ID = 1001;
    public static final int EVENTS_STREAM_ID = 1002;
    public static final int INJECT_STREAM_ID = 1003;

    public static final String DIR_PROP = "sluice.ipc.dir";
    public static final String EMBEDDED_PROP = "sluice.ipc.embedded.driver";

    /** 1 MB terms: messages up to 128 KB, 3 MB of log per stream and process. */
    public static final String DEFAULT_PUBLICATION_CHANNEL = "aeron:ipc?term-length=1m";
    public static final String SUBSCRIPTION_CHANNEL = "aeron:ipc";
    /** How long a control-side proxy waits out back-pressure or a missing dataplane before it gives up. */
    public static final long DEFAULT_SEND_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    /** How many times the dataplane's event proxy offers an event before it drops and counts it. */
    public static final int DEFAULT_EVENT_ATTEMPTS = 3;

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private String aeronDirectoryName = System.getProperty(DIR_PROP, defaultAeronDirectoryName());
    private boolean embeddedDriver = Boolean.parseBoolean(System.getProperty(EMBEDDED_PROP, "true"));
    private String publicationChannel = DEFAULT_PUBLICATION_CHANNEL;
    private long sendTimeoutNs = DEFAULT_SEND_TIMEOUT_NS;
    private int eventAttempts = DEFAULT_EVENT_ATTEMPTS;
    private ErrorHandler errorHandler = Throwable::printStackTrace;
    private final MediaDriver.Context driverContext = new MediaDriver.Context()
        .threadingMode(ThreadingMode.SHARED)
        .sharedIdleStrategy(new BackoffIdleStrategy())
        .dirDeleteOnStart(false)
        .dirDeleteOnShutdown(true)
        .warnIfDirectoryExists(false)
        .termBufferSparseFile(true);
    private final Aeron.Context aeronContext = new Aeron.Context();

    private MediaDriver driver;
    private Aeron aeron;
    private Path createdParent;

    /** {@code /dev/shm/sluice-USER/aeron}, or under {@code java.io.tmpdir} without /dev/shm. */
    public static String defaultAeronDirectoryName()
    {
        final File shm = new File("/dev/shm");
        final String base = shm.isDirectory() ? shm.getPath() : System.getProperty("java.io.tmpdir");
        return base + File.separator + "sluice-" + System.getProperty("user.name", "default") + File.separator + "aeron";
    }

    // ------------------------------------------------------------------ configuration

    public IpcContext aeronDirectoryName(final String name)
    {
        this.aeronDirectoryName = name;
        return this;
    }

    public String aeronDirectoryName()
    {
        return aeronDirectoryName;
    }

    /** True (the default): launch a media driver in this process. False: use the one running on the directory. */
    public IpcContext embeddedDriver(final boolean embedded)
    {
        this.embeddedDriver = embedded;
        return this;
    }

    public boolean embeddedDriver()
    {
        return embeddedDriver;
    }

    /** The channel publications are made on (term length and the like); subscriptions use {@value #SUBSCRIPTION_CHANNEL}. */
    public IpcContext publicationChannel(final String channel)
    {
        this.publicationChannel = channel;
        return this;
    }

    public String publicationChannel()
    {
        return publicationChannel;
    }

    public IpcContext sendTimeoutNs(final long timeoutNs)
    {
        this.sendTimeoutNs = timeoutNs;
        return this;
    }

    public long sendTimeoutNs()
    {
        return sendTimeoutNs;
    }

    public IpcContext eventAttempts(final int attempts)
    {
        this.eventAttempts = attempts;
        return this;
    }

    /** Where adapters report a message their handler threw on (or one that does not decode). */
    public IpcContext errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    /** The embedded driver's context, to tune before {@link #start()} (timeouts in tests, idle strategies). */
    public MediaDriver.Context driverContext()
    {
        return driverContext;
    }

    /** The Aeron client's context, to tune before {@link #start()}. */
    public Aeron.Context aeronContext()
    {
        return aeronContext;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Launches the embedded driver (if so configured) and connects the Aeron client. */
    public IpcContext start()
    {
        if (aeron != null)
        {
            throw new IllegalStateException("IPC context on " + aeronDirectoryName + " is already started");
        }
        final Path dir = Path.of(aeronDirectoryName).toAbsolutePath();
        try
        {
            if (embeddedDriver)
            {
                createdParent = createPrivateParent(dir.getParent());
                driver = MediaDriver.launch(driverContext.aeronDirectoryName(dir.toString()));
                Files.setPosixFilePermissions(dir, OWNER_ONLY);
            }
            else if (!Files.isDirectory(dir))
            {
                throw new IllegalStateException("no Aeron directory " + dir + ": is the dataplane running (it " +
                    "embeds the media driver), and does it use the same directory (" + DIR_PROP + ")?");
            }
            aeron = Aeron.connect(aeronContext.aeronDirectoryName(dir.toString()));
            return this;
        }
        catch (final IOException e)
        {
            close();
            throw new UncheckedIOException("Aeron directory " + dir + ": " + e.getMessage(), e);
        }
        catch (final RuntimeException e)
        {
            close();
            throw e;
        }
    }

    private static Path createPrivateParent(final Path parent) throws IOException
    {
        if (parent == null || Files.isDirectory(parent))
        {
            return null;
        }
        final Path grand = parent.getParent();
        if (grand != null)
        {
            Files.createDirectories(grand);
        }
        try
        {
            Files.createDirectory(parent, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        catch (final FileAlreadyExistsException e)
        {
            return null;
        }
        Files.setPosixFilePermissions(parent, OWNER_ONLY); // the umask may have taken some away; never adds
        return parent;
    }

    public Aeron aeron()
    {
        if (aeron == null)
        {
            throw new IllegalStateException("IPC context not started");
        }
        return aeron;
    }

    /** The embedded driver, null when the driver is external. */
    public MediaDriver driver()
    {
        return driver;
    }

    @Override
    public void close()
    {
        CloseHelper.quietClose(aeron);
        aeron = null;
        CloseHelper.quietClose(driver); // deletes the Aeron directory (dirDeleteOnShutdown)
        driver = null;
        if (createdParent != null)
        {
            try
            {
                Files.deleteIfExists(createdParent);
            }
            catch (final IOException ignored)
            {
                // not empty: something else lives there now; leave it
            }
            createdParent = null;
        }
    }

    // ------------------------------------------------------------------ proxies and adapters

    /** Control side: writes the program stream. */
    public ProgramProxy programProxy()
    {
        return new ProgramProxy(publication(PROGRAM_STREAM_ID), sendTimeoutNs);
    }

    /** Data side: reads the program stream into {@code handler}. */
    public ProgramAdapter programAdapter(final ProgramHandler handler)
    {
        return new ProgramAdapter(subscription(PROGRAM_STREAM_ID), handler, errorHandler);
    }

    /** Data side: writes the events stream. */
    public EventProxy eventProxy()
    {
        return new EventProxy(publication(EVENTS_STREAM_ID), eventAttempts);
    }

    /** Control side: reads the events stream into {@code handler}. */
    public EventAdapter eventAdapter(final EventHandler handler)
    {
        return new EventAdapter(subscription(EVENTS_STREAM_ID), handler, errorHandler);
    }

    /** Control side: writes the inject stream. */
    public InjectProxy injectProxy()
    {
        return new InjectProxy(publication(INJECT_STREAM_ID), sendTimeoutNs);
    }

    /** Data side: reads the inject stream into {@code handler}. */
    public InjectAdapter injectAdapter(final InjectHandler handler)
    {
        return new InjectAdapter(subscription(INJECT_STREAM_ID), handler, errorHandler);
    }

    private ExclusivePublication publication(final int streamId)
    {
        return aeron().addExclusivePublication(publicationChannel, streamId);
    }

    private Subscription subscription(final int streamId)
    {
        return aeron().addSubscription(SUBSCRIPTION_CHANNEL, streamId);
    }
}
