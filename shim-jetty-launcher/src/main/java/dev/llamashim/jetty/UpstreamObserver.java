package dev.llamashim.jetty;

import java.time.Duration;

/** Hears how long each exchange with the model server took; called on proxy threads, must not block. */
interface UpstreamObserver {

    /** Hears nothing. */
    UpstreamObserver NONE = (firstByte, total) -> { };

    /**
     * One exchange with the model server ended, answered in full or not.
     *
     * @param firstByte from sending the request to the answer's status and headers arriving, or
     *     {@code null} when none arrived (no connection, timeout, abort)
     * @param total from sending the request to the exchange's end
     */
    void exchangeEnded(Duration firstByte, Duration total);
}
