"""Hand-written CVAT XML files laid out as CVAT 2.73's exporter writes them.

Written from CVAT's format documentation and exporter behaviour: attribute
order, two-decimal coordinates, ``<attribute>`` children after shapes, tags
after shapes, a project export's ``subset``/``task_id`` on images.
"""

IMAGES_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <project>
      <id>7</id>
      <name>street scenes</name>
      <bugtracker></bugtracker>
      <created>2026-01-02 10:00:00.000001+00:00</created>
      <updated>2026-01-03 11:00:00.000002+00:00</updated>
      <tasks>
        <task>
          <id>31</id>
          <name>batch a</name>
          <size>2</size>
          <mode>annotation</mode>
          <overlap>0</overlap>
          <bugtracker></bugtracker>
          <created>2026-01-02 10:00:00.000001+00:00</created>
          <updated>2026-01-03 11:00:00.000002+00:00</updated>
          <subset>Train</subset>
          <start_frame>0</start_frame>
          <stop_frame>1</stop_frame>
          <frame_filter></frame_filter>
          <segments>
            <segment>
              <id>40</id>
              <start>0</start>
              <stop>1</stop>
              <url>http://127.0.0.1:8080/api/jobs/52</url>
            </segment>
          </segments>
          <owner>
            <username>ann</username>
            <email>ann@example.org</email>
          </owner>
          <assignee></assignee>
        </task>
      </tasks>
      <subsets>Train</subsets>
      <owner>
        <username>ann</username>
        <email>ann@example.org</email>
      </owner>
      <assignee></assignee>
      <labels>
        <label>
          <name>vehicle</name>
          <color>#fa3253</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>make</name>
              <mutable>False</mutable>
              <input_type>select</input_type>
              <default_value>ford</default_value>
              <values>ford
fiat
kia</values>
            </attribute>
            <attribute>
              <name>parked</name>
              <mutable>True</mutable>
              <input_type>checkbox</input_type>
              <default_value>false</default_value>
              <values>false</values>
            </attribute>
          </attributes>
        </label>
        <label>
          <name>weather</name>
          <color>#33ddff</color>
          <type>tag</type>
          <attributes>
          </attributes>
        </label>
        <label>
          <name>hand</name>
          <color>#aaaaaa</color>
          <type>skeleton</type>
          <attributes>
          </attributes>
          <svg>&lt;circle r="1.5" data-label-name="tip"&gt;&lt;/circle&gt;</svg>
        </label>
        <label>
          <name>tip</name>
          <color>#bbbbbb</color>
          <type>points</type>
          <attributes>
          </attributes>
          <parent>hand</parent>
        </label>
      </labels>
    </project>
    <dumped>2026-01-04 12:00:00.000003+00:00</dumped>
  </meta>
  <image id="0" name="road/0001.jpg" subset="Train" task_id="31" width="640" height="480">
    <box label="vehicle" source="manual" occluded="1" xtl="10.25" ytl="20.50" xbr="110.75" ybr="90.00" rotation="12.50" z_order="2" group_id="3">
      <attribute name="make">kia</attribute>
      <attribute name="parked">true</attribute>
    </box>
    <polygon label="vehicle" source="auto" occluded="0" points="1.00,2.00;30.50,2.25;15.75,40.00" z_order="0">
    </polygon>
    <polyline label="vehicle" source="manual" occluded="0" points="0.00,0.00;639.99,479.99" z_order="1">
    </polyline>
    <points label="vehicle" source="manual" occluded="0" points="5.50,6.50;7.25,8.75;9.00,10.00" z_order="0" group_id="3">
    </points>
    <mask label="vehicle" source="semi-auto" occluded="0" rle="2, 3, 1, 4, 2" left="100" top="200" width="4" height="3" z_order="5">
    </mask>
    <ellipse label="vehicle" source="manual" occluded="0" cx="300.00" cy="200.00" rx="40.50" ry="20.25" rotation="30.00" z_order="0">
    </ellipse>
    <cuboid label="vehicle" source="manual" occluded="0" xtl1="1.00" ytl1="2.00" xbl1="1.00" ybl1="12.00" xtr1="11.00" ytr1="2.00" xbr1="11.00" ybr1="12.00" xtl2="4.00" ytl2="0.00" xbl2="4.00" ybl2="10.00" xtr2="14.00" ytr2="0.00" xbr2="14.00" ybr2="10.00" z_order="0">
    </cuboid>
    <skeleton label="hand" source="manual" z_order="4">
      <points label="tip" source="manual" outside="1" occluded="0" points="50.00,60.00">
        <attribute name="nail">painted &amp; long</attribute>
      </points>
    </skeleton>
    <tag label="weather" source="manual" group_id="1">
      <attribute name="kind">rain</attribute>
    </tag>
  </image>
  <image id="1" name="road/0002.jpg" subset="Train" task_id="31" width="640" height="480">
  </image>
</annotations>
"""

VIDEO_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>9</id>
      <name>drive.mp4</name>
      <size>20</size>
      <mode>interpolation</mode>
      <overlap>5</overlap>
      <bugtracker></bugtracker>
      <created>2026-02-01 08:00:00.000000+00:00</created>
      <updated>2026-02-01 09:00:00.000000+00:00</updated>
      <subset>default</subset>
      <start_frame>0</start_frame>
      <stop_frame>19</stop_frame>
      <frame_filter></frame_filter>
      <segments>
        <segment>
          <id>12</id>
          <start>0</start>
          <stop>19</stop>
          <url>http://127.0.0.1:8080/api/jobs/13</url>
        </segment>
      </segments>
      <owner></owner>
      <assignee></assignee>
      <labels>
        <label>
          <name>person</name>
          <color>#ff00ff</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>identity</name>
              <mutable>False</mutable>
              <input_type>text</input_type>
              <default_value></default_value>
              <values></values>
            </attribute>
            <attribute>
              <name>pose</name>
              <mutable>True</mutable>
              <input_type>radio</input_type>
              <default_value>standing</default_value>
              <values>standing
sitting</values>
            </attribute>
          </attributes>
        </label>
      </labels>
      <original_size>
        <width>1280</width>
        <height>720</height>
      </original_size>
      <source>drive.mp4</source>
    </task>
    <dumped>2026-02-01 09:30:00.000000+00:00</dumped>
  </meta>
  <track id="0" label="person" source="manual" group_id="2">
    <box frame="3" keyframe="1" outside="0" occluded="0" xtl="100.00" ytl="50.00" xbr="200.00" ybr="250.00" z_order="1">
      <attribute name="pose">standing</attribute>
      <attribute name="identity">bob</attribute>
    </box>
    <box frame="4" keyframe="0" outside="0" occluded="1" xtl="105.50" ytl="50.00" xbr="205.50" ybr="250.00" z_order="1">
      <attribute name="pose">standing</attribute>
      <attribute name="identity">bob</attribute>
    </box>
    <box frame="5" keyframe="1" outside="0" occluded="0" xtl="111.00" ytl="50.00" xbr="211.00" ybr="250.00" rotation="5.00" z_order="1">
      <attribute name="pose">sitting</attribute>
      <attribute name="identity">bob</attribute>
    </box>
    <box frame="6" keyframe="1" outside="1" occluded="0" xtl="111.00" ytl="50.00" xbr="211.00" ybr="250.00" rotation="5.00" z_order="1">
      <attribute name="pose">sitting</attribute>
      <attribute name="identity">bob</attribute>
    </box>
  </track>
  <track id="1" label="person" source="auto">
    <polygon frame="0" keyframe="1" outside="0" occluded="0" points="1.00,1.00;9.00,1.00;5.00,8.00" z_order="0">
      <attribute name="pose">sitting</attribute>
      <attribute name="identity">amy</attribute>
    </polygon>
    <polygon frame="1" keyframe="1" outside="1" occluded="0" points="1.00,1.00;9.00,1.00;5.00,8.00" z_order="0">
      <attribute name="pose">sitting</attribute>
      <attribute name="identity">amy</attribute>
    </polygon>
  </track>
  <track id="2" label="hand" source="manual">
    <skeleton frame="2" keyframe="1" z_order="0">
      <points label="tip" keyframe="1" outside="0" occluded="1" points="10.00,20.00">
      </points>
    </skeleton>
    <skeleton frame="3" keyframe="1" z_order="0">
      <points label="tip" keyframe="1" outside="1" occluded="0" points="10.00,20.00">
      </points>
    </skeleton>
  </track>
  <track id="3" label="person" source="manual">
    <mask frame="7" keyframe="1" outside="0" occluded="0" rle="0, 2, 2" left="3" top="4" width="2" height="2" z_order="0">
    </mask>
  </track>
</annotations>
"""
