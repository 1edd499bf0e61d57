package io.tlssessioncache.benchmarks.handshake;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** A horizontal bar chart (Java2D, no dependency): one bar per scenario, colour by group, value at the bar's end. */
final class BarChart {

    record Bar(String label, double value, int group) {
    }

    private static final Color[] COLORS = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd)};

    private BarChart() {
    }

    static void write(Path file, String title, String axis, List<Bar> bars, List<String> groupNames) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int rowHeight = 22;
        int labelWidth = 590;
        int plotWidth = 560;
        int top = 70;
        int width = labelWidth + plotWidth + 90;
        int height = top + rowHeight * bars.size() + 40;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, 10, 22);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int lx = 10;
            for (int i = 0; i < groupNames.size(); i++) {
                g.setColor(COLORS[i % COLORS.length]);
                g.fillRect(lx, 34, 12, 12);
                g.setColor(Color.BLACK);
                g.drawString(groupNames.get(i), lx + 16, 45);
                lx += 22 + g.getFontMetrics().stringWidth(groupNames.get(i));
            }
            g.drawString(axis, labelWidth, 62);
            double max = bars.stream().mapToDouble(Bar::value).filter(Double::isFinite).max().orElse(1);
            max = max <= 0 ? 1 : max;
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < bars.size(); i++) {
                Bar bar = bars.get(i);
                int y = top + i * rowHeight;
                g.setColor(Color.BLACK);
                String label = bar.label();
                while (fm.stringWidth(label) > labelWidth - 20 && label.length() > 4) {
                    label = label.substring(0, label.length() - 2);
                }
                g.drawString(label, labelWidth - 10 - fm.stringWidth(label), y + 15);
                double v = Double.isFinite(bar.value()) ? bar.value() : 0;
                int w = (int) Math.round(plotWidth * v / max);
                g.setColor(COLORS[bar.group() % COLORS.length]);
                g.fillRect(labelWidth, y + 3, Math.max(w, 1), rowHeight - 6);
                g.setColor(Color.BLACK);
                g.drawString(String.format("%,.0f", v), labelWidth + w + 5, y + 15);
            }
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1));
            g.drawLine(labelWidth, top, labelWidth, top + rowHeight * bars.size());
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", file.toFile());
    }
}
